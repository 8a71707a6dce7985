/** Stage 2, Apply Refinement: hand the staged original to the concept service and stage its answer. */
import type { ConceptService } from '../adapters/concept-service/concept-service';
import { inspectProviderImage } from '../adapters/concept-service/provider-http';
import type { DownloadLimits } from '../adapters/http/download-limits';
import { safeDownload } from '../adapters/http/safe-download';
import type { ImageStore } from '../adapters/image-store/image-store';
import type { ImageRef } from '../workflows/types';
import { stagingKey } from './blob-keys';
import { runStage, type StageDeps } from './stage';

export interface RefineConceptImageInput {
  taskId: string;
  original: ImageRef;
  originalImageUrl: string;
  refinementPrompt: string;
  logoDescription: string;
  themeDescription: string;
  preserveAspects: string[];
}

export interface RefineConceptImageOutput {
  refined: ImageRef;
  provider: string;
  /** What the provider applied and what it did not understand. */
  notes: string[];
}

export interface RefineDeps extends StageDeps {
  imageStore: ImageStore;
  conceptService: ConceptService;
  download: DownloadLimits;
}

export function createRefineConceptImage(deps: RefineDeps) {
  return async function refineConceptImage(input: RefineConceptImageInput): Promise<RefineConceptImageOutput> {
    return runStage(deps, 'refine', input.taskId, async ({ signal, heartbeat, log }) => {
      const original = await deps.imageStore.get(input.original.key);
      const answer = await deps.conceptService.refine({
        taskId: input.taskId,
        image: original,
        originalImageUrl: input.originalImageUrl,
        refinementPrompt: input.refinementPrompt,
        logoDescription: input.logoDescription,
        themeDescription: input.themeDescription,
        preserveAspects: input.preserveAspects,
        signal,
        heartbeat,
      });
      // A provider that hosts its output answers with a URL: fetched with the same guards as originals.
      const data =
        answer.kind === 'image'
          ? answer.data
          : (await safeDownload(answer.url, deps.download, { signal, onProgress: heartbeat })).data;
      // Whatever the provider sent, or its URL led to, must decode: a broken answer is the provider's fault.
      const image = await inspectProviderImage(deps.conceptService.name, data, deps.download.maxPixels);
      const key = stagingKey(input.taskId, 'refined');
      await deps.imageStore.put(key, data, { contentType: image.contentType });
      log.info({ provider: deps.conceptService.name, bytes: data.length, notes: answer.notes }, 'refinement staged');
      return {
        refined: { key, contentType: image.contentType, bytes: data.length, width: image.width, height: image.height },
        provider: deps.conceptService.name,
        notes: answer.notes,
      };
    });
  };
}
