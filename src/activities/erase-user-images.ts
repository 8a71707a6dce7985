/**
 * The user's blobs in the image store: every published refined image (the whole `refined/<userId>/`
 * prefix, partial writes included), and the uploaded original and staged blobs of each of their
 * tasks. Runs before the rows go, since the rows are how the tasks are found; a retry finds the same
 * tasks and removes what is left, counting on from the earlier attempt.
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ImageStore } from '../adapters/image-store/image-store';
import { allPublishedKeys, publishedPrefix, stagingKey, stagingPrefix, uploadKey, uploadPrefix } from '../adapters/image-store/key-layout';
import type { ErasureCounts } from '../adapters/user-data/erasure-counts';
import type { UserDataStore } from '../adapters/user-data/user-data-store';
import { AttemptHeartbeat } from './attempt-heartbeat';

export interface EraseUserImagesInput {
  userId: string;
}

export type ImageCounts = Pick<ErasureCounts, 'refinedImages' | 'uploadedOriginals' | 'stagedBlobs'>;

export interface EraseUserImagesDeps {
  imageStore: ImageStore;
  userData: UserDataStore;
  logger: Logger;
}

export function createEraseUserImages(deps: EraseUserImagesDeps) {
  return async function eraseUserImages(input: EraseUserImagesInput): Promise<ImageCounts> {
    const { imageStore, userData } = deps;
    const activity = Context.current();
    const heartbeat = new AttemptHeartbeat(activity);
    const counts: ImageCounts = { refinedImages: 0, uploadedOriginals: 0, stagedBlobs: 0, ...(activity.info.heartbeatDetails as Partial<ImageCounts> | undefined) };
    try {
      const taskIds = await userData.taskIdsOf(input.userId);
      for (const taskId of taskIds) {
        // Counted blob by blob, then the prefixes cleared of whatever else a killed write left there.
        counts.refinedImages += await imageStore.remove(allPublishedKeys(input.userId, taskId));
        counts.uploadedOriginals += await imageStore.remove([uploadKey(taskId)]);
        await imageStore.removePrefix(uploadPrefix(taskId));
        counts.stagedBlobs += await imageStore.remove([stagingKey(taskId, 'original'), stagingKey(taskId, 'refined')]);
        await imageStore.removePrefix(stagingPrefix(taskId));
        heartbeat.keep({ ...counts });
      }
      // Published images of tasks no row names any more (a refinement deleted from Temporal before its row was written).
      await imageStore.removePrefix(publishedPrefix(input.userId));
    } finally {
      heartbeat.stop();
    }
    deps.logger.info({ activity: 'eraseUserImages', ...counts }, 'images of the user erased');
    return counts;
  };
}
