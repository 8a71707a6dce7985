/** Stage 1, Download Original: fetch the user's image safely, check it is one, and stage it. */
import type { DownloadLimits } from '../adapters/http/download-limits';
import { inspectImage } from '../adapters/http/image-inspection';
import { safeDownload } from '../adapters/http/safe-download';
import type { ImageStore } from '../adapters/image-store/image-store';
import type { ImageRef } from '../workflows/types';
import { InvalidRefinementInputError } from '../errors';
import { stagingKey, uploadKey } from './blob-keys';
import { runStage, type StageDeps } from './stage';

export interface DownloadOriginalImageInput {
  taskId: string;
  originalImageUrl: string;
  uploadedImageKey?: string;
}

export interface DownloadDeps extends StageDeps {
  imageStore: ImageStore;
  download: DownloadLimits;
}

export function createDownloadOriginalImage(deps: DownloadDeps) {
  return async function downloadOriginalImage(input: DownloadOriginalImageInput): Promise<ImageRef> {
    return runStage(deps, 'download', input.taskId, async ({ signal, heartbeat, log }) => {
      // An upload is read from the store, so only this task's own upload slot may be named.
      if (input.uploadedImageKey !== undefined && input.uploadedImageKey !== uploadKey(input.taskId)) {
        throw new InvalidRefinementInputError(`uploadedImageKey must be ${uploadKey(input.taskId)}`);
      }
      const data = input.uploadedImageKey
        ? (await deps.imageStore.get(input.uploadedImageKey)).data
        : (await safeDownload(input.originalImageUrl, deps.download, { signal, onProgress: heartbeat })).data;
      const image = await inspectImage(data, { maxPixels: deps.download.maxPixels });
      const key = stagingKey(input.taskId, 'original');
      await deps.imageStore.put(key, data, { contentType: image.contentType });
      log.info({ bytes: data.length, format: image.format, width: image.width, height: image.height }, 'original staged');
      return { key, contentType: image.contentType, bytes: data.length, width: image.width, height: image.height };
    });
  };
}
