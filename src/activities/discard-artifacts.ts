/**
 * Not a stage of the seed, but what makes "leaves nothing behind" true: removes everything a
 * refinement staged, and on failure or cancellation its published image and uploaded original as
 * well. "Everything" includes what a worker killed mid-write left (temp files, unfinished multipart
 * uploads): staging and uploads are removed by prefix, published keys with their partial writes.
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ImageStore } from '../adapters/image-store/image-store';
import { allPublishedKeys, stagingPrefix, uploadPrefix } from '../adapters/image-store/key-layout';
import { AttemptHeartbeat } from './attempt-heartbeat';

export interface DiscardArtifactsInput {
  taskId: string;
  userId: string;
  /** True when the refinement did not complete: its published image goes too, and its upload. */
  includePublished: boolean;
}

export interface DiscardDeps {
  imageStore: ImageStore;
  logger: Logger;
}

export function createDiscardArtifacts(deps: DiscardDeps) {
  return async function discardArtifacts(input: DiscardArtifactsInput): Promise<{ removed: number }> {
    // The keys are derived from the ids, never taken from the input: cleanup touches this task's blobs only.
    const { imageStore } = deps;
    const activity = Context.current();
    // A live attempt shows it at once, so only a lost one waits out the heartbeat timeout.
    const heartbeat = new AttemptHeartbeat(activity);
    heartbeat.now();
    let removed = 0;
    try {
      const published = allPublishedKeys(input.userId, input.taskId);
      await imageStore.removePrefix(stagingPrefix(input.taskId));
      if (input.includePublished) {
        removed = await imageStore.remove(published);
        await imageStore.removePrefix(uploadPrefix(input.taskId));
      } else {
        // The image stays; a killed earlier attempt of its store stage may have left a partial write beside it.
        await imageStore.removePartialWrites(published);
      }
    } finally {
      heartbeat.stop();
    }
    deps.logger.info({ taskId: input.taskId, attempt: activity.info.attempt, publishedRemoved: removed }, 'artifacts discarded');
    return { removed };
  };
}
