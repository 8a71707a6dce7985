/**
 * Stage 2, Apply Refinement: hand the staged original to the concept service and stage its answer.
 * The original and the answer go through local files (see work-dir.ts), never whole into memory
 * unless a provider answers with the bytes themselves.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ConceptService } from '../adapters/concept-service/concept-service';
import type { ProviderCheckpoint, RefinementOutcome, RefineResult } from '../adapters/concept-service/concept-service';
import { inspectProviderImage } from '../adapters/concept-service/provider-http';
import type { DownloadLimits } from '../config';
import type { ImageFile } from '../adapters/images/image-inspection';
import type { DownloadToFile } from '../adapters/http/safe-download';
import type { ImageStore } from '../adapters/image-store/image-store';
import { stagingKey } from '../adapters/image-store/key-layout';
import { InvalidProviderResponseError, ProviderUnavailableError, RefineryError, withOperatorDetail } from '../errors';
import type { ImageRef, RefinementRequest } from '../workflows/types';
import { runStage, type StageDeps } from './stage';
import { withWorkDir } from './work-dir';

/** The refinement request, beside the staged original it applies to. */
export interface RefineConceptImageInput extends RefinementRequest {
  taskId: string;
  original: ImageRef;
  originalImageUrl: string;
  /** [] when nothing in particular is to be kept. */
  preserveAspects: string[];
}

export interface RefineConceptImageOutput {
  refined: ImageRef;
  provider: string;
  /** What the provider applied and what it did not understand, as sentences. */
  notes: string[];
  /** The same, per instruction: what was carried out and what was not. */
  outcome: RefinementOutcome;
}

export interface RefineDeps extends StageDeps {
  imageStore: ImageStore;
  conceptService: ConceptService;
  download: DownloadLimits;
  /** The guarded download (safeDownloadToFile, measured: src/adapters/index.ts). */
  downloadToFile: DownloadToFile;
}

export function createRefineConceptImage(deps: RefineDeps) {
  return async function refineConceptImage(input: RefineConceptImageInput): Promise<RefineConceptImageOutput> {
    return runStage(deps, 'refine', input.taskId, async ({ signal, log, earlierDetails, keepDetails, reportWaiting }) =>
      withWorkDir('refine', async (dir) => {
        const earlier = refineDetailsOf(earlierDetails);
        let answer: RefineResult;
        if (earlier.hosted) {
          // A provider that hosts its output answered an earlier attempt with a URL, and fetching it
          // failed: the image exists and was paid for, so fetch it again instead of generating again.
          log.info({ provider: deps.conceptService.name }, 'fetching the image an earlier attempt was answered with');
          answer = { kind: 'url', ...earlier.hosted };
        } else {
          const { taskId, original, originalImageUrl, ...request } = input;
          const originalFile = path.join(dir, 'original');
          const { contentType } = await deps.imageStore.getFile(original.key, originalFile);
          if (earlier.checkpoint) log.info({ provider: earlier.checkpoint.provider, requestId: earlier.checkpoint.requestId }, 'resuming the provider request an earlier attempt submitted');
          answer = await deps.conceptService.refine({
            ...request,
            taskId,
            image: { path: originalFile, contentType },
            workDir: dir,
            originalImageUrl,
            signal,
            // The stage heartbeats on its own timer while the call is open; progress need not reach the SDK.
            heartbeat: ignoreProgress,
            resumeFrom: earlier.checkpoint,
            checkpoint: (checkpoint) => keepDetails({ checkpoint } satisfies RefineDetails),
            reportWaiting,
          });
        }
        // The answer as bytes in memory (a provider's response body) or as a file in `dir`.
        let result: Buffer | ImageFile;
        if (answer.kind === 'image') result = answer.data;
        else if (answer.kind === 'file') result = { path: answer.path };
        else {
          keepDetails({ hosted: { url: answer.url, notes: answer.notes, outcome: answer.outcome } } satisfies RefineDetails);
          result = { path: path.join(dir, 'hosted-result') };
          await fetchProviderResult(deps, answer.url, result.path, signal);
        }
        // Whatever the provider sent, or its URL led to, must decode: a broken answer is the provider's fault.
        const image = await inspectProviderImage(deps.conceptService.name, result, deps.download.maxPixels);
        const key = stagingKey(input.taskId, 'refined');
        const bytes = Buffer.isBuffer(result) ? result.length : await fileSize(result.path);
        if (Buffer.isBuffer(result)) await deps.imageStore.put(key, result, { contentType: image.contentType });
        else await deps.imageStore.putFile(key, result.path, { contentType: image.contentType });
        log.info({ provider: deps.conceptService.name, bytes, notes: answer.notes }, 'refinement staged');
        return {
          refined: { key, contentType: image.contentType, bytes, width: image.width, height: image.height },
          provider: deps.conceptService.name,
          notes: answer.notes,
          outcome: answer.outcome,
        };
      }),
    );
  };
}

const ignoreProgress = () => undefined;

/**
 * Heartbeat details of the refine stage, what a retry resumes from: the provider's accepted request
 * while it works on it, then its hosted result once it answered with one.
 */
interface RefineDetails {
  checkpoint?: ProviderCheckpoint;
  hosted?: { url: string; notes: string[]; outcome: RefinementOutcome };
}

function refineDetailsOf(details: unknown): RefineDetails {
  const d = (details ?? {}) as RefineDetails & { resultUrl?: unknown; notes?: unknown };
  // Attempts recorded before outcomes existed kept { resultUrl, notes }.
  if (typeof d.resultUrl === 'string' && Array.isArray(d.notes)) {
    const notes = d.notes as string[];
    return { hosted: { url: d.resultUrl, notes, outcome: { status: 'delegated', applied: [], notApplied: [] } } };
  }
  const checkpoint = d.checkpoint && typeof d.checkpoint.requestId === 'string' ? d.checkpoint : undefined;
  const hosted = d.hosted && typeof d.hosted.url === 'string' ? d.hosted : undefined;
  return { ...(checkpoint ? { checkpoint } : {}), ...(hosted ? { hosted } : {}) };
}

/**
 * Fetches the provider's hosted result into `file` through the guarded download. A failure says the
 * URL came from the provider (not the user's original) and keeps its retryability: transient ones
 * are the provider's unavailability, permanent ones a broken answer.
 */
async function fetchProviderResult(deps: RefineDeps, url: string, file: string, signal: AbortSignal): Promise<void> {
  try {
    await deps.downloadToFile(url, deps.download, file, { signal });
  } catch (err) {
    if (!(err instanceof RefineryError)) throw err;
    const message = `fetching the image URL ${deps.conceptService.name} answered with failed: ${err.message}`;
    const wrapped = err.retryable ? new ProviderUnavailableError(message, { cause: err }) : new InvalidProviderResponseError(message, { cause: err });
    wrapped.retryAfterMs = err.retryAfterMs;
    throw err.operatorDetail ? withOperatorDetail(wrapped, err.operatorDetail) : wrapped;
  }
}

async function fileSize(file: string): Promise<number> {
  return (await fs.stat(file)).size;
}
