/**
 * Stage 1, Download Original: fetch the user's image safely (or read their upload, or the stored
 * concept they refine again), check it is one, and stage it. The image goes through a local file,
 * never whole into memory.
 */
import path from 'node:path';
import type { ConceptStore } from '../adapters/concept-store/concept-store';
import type { DownloadLimits } from '../config';
import { inspectImage } from '../adapters/images/image-inspection';
import type { DownloadToFile } from '../adapters/http/safe-download';
import { BlobNotFoundError, type ImageStore } from '../adapters/image-store/image-store';
import { allPublishedKeys, stagingKey, uploadKey } from '../adapters/image-store/key-layout';
import type { ImageRef } from '../workflows/types';
import { InvalidRefinementInputError, ParentConceptNotFoundError } from '../errors';
import { runStage, type StageDeps } from './stage';
import { withWorkDir } from './work-dir';

export interface DownloadOriginalImageInput {
  taskId: string;
  originalImageUrl: string;
  uploadedImageKey?: string;
  /** With parentConceptId: the refinement's user, who must own the parent. */
  userId?: string;
  parentConceptId?: string;
}

export interface DownloadDeps extends StageDeps {
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  download: DownloadLimits;
  /** The guarded download (safeDownloadToFile, measured: src/adapters/index.ts). */
  downloadToFile: DownloadToFile;
}

export function createDownloadOriginalImage(deps: DownloadDeps) {
  return async function downloadOriginalImage(input: DownloadOriginalImageInput): Promise<ImageRef> {
    return runStage(deps, 'download', input.taskId, async ({ signal, log }) => {
      // An upload is read from the store, so only this task's own upload slot may be named.
      if (input.uploadedImageKey !== undefined && input.uploadedImageKey !== uploadKey(input.taskId)) {
        throw new InvalidRefinementInputError(`uploadedImageKey must be ${uploadKey(input.taskId)}`);
      }
      return withWorkDir('download', async (dir) => {
        const file = path.join(dir, 'original');
        let bytes: number;
        if (input.parentConceptId !== undefined) bytes = await readParentImage(deps, input.parentConceptId, input.userId, file);
        else if (input.uploadedImageKey) bytes = (await deps.imageStore.getFile(input.uploadedImageKey, file)).bytes;
        else bytes = (await deps.downloadToFile(input.originalImageUrl, deps.download, file, { signal })).bytes;
        const image = await inspectImage({ path: file }, { maxPixels: deps.download.maxPixels });
        const key = stagingKey(input.taskId, 'original');
        await deps.imageStore.putFile(key, file, { contentType: image.contentType });
        log.info({ bytes, format: image.format, width: image.width, height: image.height, parentConceptId: input.parentConceptId }, 'original staged');
        return { key, contentType: image.contentType, bytes, width: image.width, height: image.height };
      });
    });
  };
}

/**
 * The parent's published image, found from its owner and task id (never from a path or URL in the
 * input or the row), and only if the parent belongs to this refinement's user: a workflow started
 * directly with someone else's concept id fails here, exactly as for an unknown id. Written to `file`; returns its size.
 */
async function readParentImage(deps: DownloadDeps, parentConceptId: string, userId: string | undefined, file: string): Promise<number> {
  const parent = await deps.conceptStore.findById(parentConceptId);
  if (!parent || userId === undefined || parent.userId !== userId) {
    throw new ParentConceptNotFoundError(`no concept ${parentConceptId} of this user to refine`);
  }
  for (const key of allPublishedKeys(parent.userId, parent.taskId)) {
    try {
      return (await deps.imageStore.getFile(key, file)).bytes;
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
    }
  }
  throw new ParentConceptNotFoundError(`concept ${parentConceptId} has no stored image`);
}
