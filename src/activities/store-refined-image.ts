/**
 * Stage 3, Store Refined Image: publish the staged refinement with the refinement's metadata beside
 * it, as a copy the store makes itself (the image does not pass through the worker).
 */
import type { ImageStore } from '../adapters/image-store/image-store';
import { publishedKey } from '../adapters/image-store/key-layout';
import { refinementRequestOf, type ImageRef, type RefinementRequest } from '../workflows/types';
import { runStage, type StageDeps } from './stage';

/** The refinement request without the aspects to keep, which the published image does not record. */
export interface StoreRefinedImageInput extends Omit<RefinementRequest, 'preserveAspects'> {
  taskId: string;
  userId: string;
  refined: ImageRef;
  originalImageUrl: string;
  provider: string;
  notes: string[];
}

export interface StoreRefinedImageOutput {
  imagePath: string;
  imageUrl: string;
}

export interface StoreImageDeps extends StageDeps {
  imageStore: ImageStore;
}

export function createStoreRefinedImage(deps: StoreImageDeps) {
  return async function storeRefinedImage(input: StoreRefinedImageInput): Promise<StoreRefinedImageOutput> {
    return runStage(deps, 'storeImage', input.taskId, async ({ log }) => {
      const { contentType } = input.refined;
      // Keyed by user and task: a retried attempt overwrites the same blob instead of adding one.
      const stored = await deps.imageStore.copy(input.refined.key, publishedKey(input.userId, input.taskId, contentType), {
        contentType,
        metadata: {
          taskId: input.taskId,
          userId: input.userId,
          ...refinementRequestOf(input),
          originalImageUrl: input.originalImageUrl,
          provider: input.provider,
          notes: input.notes,
          width: input.refined.width,
          height: input.refined.height,
        },
      });
      log.info({ key: stored.key }, 'refined image stored');
      return { imagePath: stored.path, imageUrl: stored.url };
    });
  };
}
