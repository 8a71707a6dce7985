/**
 * Not a stage of the seed, but what makes "leaves nothing behind" true: removes the staged blobs of a
 * refinement, and on failure or cancellation its published image and uploaded original as well.
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ImageStore } from '../adapters/image-store/image-store';
import { allPublishedKeys, allStagingKeys, uploadKey } from './blob-keys';

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
    const keys = allStagingKeys(input.taskId);
    if (input.includePublished) keys.push(...allPublishedKeys(input.userId, input.taskId));
    // The keys are derived from the ids, never taken from the input: cleanup touches this task's blobs only.
    if (input.includePublished) keys.push(uploadKey(input.taskId));
    const activity = Context.current();
    // A live attempt shows it at once, so only a lost one waits out the heartbeat timeout.
    activity.heartbeat();
    const removed = await deps.imageStore.remove(keys);
    activity.heartbeat();
    deps.logger.info({ taskId: input.taskId, attempt: activity.info.attempt, removed }, 'artifacts discarded');
    return { removed };
  };
}
