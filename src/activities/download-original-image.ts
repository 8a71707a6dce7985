/**
 * Stage 1, Download Original: fetch the user's image safely (or read their upload, or the stored
 * concept they refine again), check it is one, and stage it.
 */
import type { ConceptStore } from '../adapters/concept-store/concept-store';
import type { DownloadLimits } from '../adapters/http/download-limits';
import { inspectImage } from '../adapters/http/image-inspection';
import { safeDownload } from '../adapters/http/safe-download';
import { BlobNotFoundError, type ImageStore } from '../adapters/image-store/image-store';
import type { ImageRef } from '../workflows/types';
import { InvalidRefinementInputError, ParentConceptNotFoundError } from '../errors';
import { allPublishedKeys, stagingKey, uploadKey } from './blob-keys';
import { runStage, type StageDeps } from './stage';

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
}

export function createDownloadOriginalImage(deps: DownloadDeps) {
  return async function downloadOriginalImage(input: DownloadOriginalImageInput): Promise<ImageRef> {
    return runStage(deps, 'download', input.taskId, async ({ signal, heartbeat, log }) => {
      // An upload is read from the store, so only this task's own upload slot may be named.
      if (input.uploadedImageKey !== undefined && input.uploadedImageKey !== uploadKey(input.taskId)) {
        throw new InvalidRefinementInputError(`uploadedImageKey must be ${uploadKey(input.taskId)}`);
      }
      let data: Buffer;
      if (input.parentConceptId !== undefined) data = await readParentImage(deps, input.parentConceptId, input.userId);
      else if (input.uploadedImageKey) data = (await deps.imageStore.get(input.uploadedImageKey)).data;
      else data = (await safeDownload(input.originalImageUrl, deps.download, { signal, onProgress: heartbeat })).data;
      const image = await inspectImage(data, { maxPixels: deps.download.maxPixels });
      const key = stagingKey(input.taskId, 'original');
      await deps.imageStore.put(key, data, { contentType: image.contentType });
      log.info({ bytes: data.length, format: image.format, width: image.width, height: image.height, parentConceptId: input.parentConceptId }, 'original staged');
      return { key, contentType: image.contentType, bytes: data.length, width: image.width, height: image.height };
    });
  };
}

/**
 * The parent's published image, found from its owner and task id (never from a path or URL in the
 * input or the row), and only if the parent belongs to this refinement's user: a workflow started
 * directly with someone else's concept id fails here, exactly as for an unknown id.
 */
async function readParentImage(deps: DownloadDeps, parentConceptId: string, userId: string | undefined): Promise<Buffer> {
  const parent = await deps.conceptStore.findById(parentConceptId);
  if (!parent || userId === undefined || parent.userId !== userId) {
    throw new ParentConceptNotFoundError(`no concept ${parentConceptId} of this user to refine`);
  }
  for (const key of allPublishedKeys(parent.userId, parent.taskId)) {
    try {
      return (await deps.imageStore.get(key)).data;
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
    }
  }
  throw new ParentConceptNotFoundError(`concept ${parentConceptId} has no stored image`);
}
