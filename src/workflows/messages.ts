/** Messages of the refineConcept workflow: its signals, its query and its search attributes. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Stage } from './stage-policies';
import type { ProviderWaiting, RefinementProgress } from './types';

export const TASK_QUEUE = 'concept-refinement';

export function workflowIdFor(taskId: string): string {
  return `refinement-${taskId}`;
}

/**
 * The refine stage runs on a task queue of its own, so provider calls are throttled across all
 * workers (the server enforces a queue's rate) and capped per worker apart from the cheap stages.
 */
export function providerTaskQueue(taskQueue: string): string {
  return `${taskQueue}-provider`;
}

export interface CancelRefinementArgs {
  reason?: string;
}
/** Stops an in-flight refinement; ignored (and reported in progress) once the concept is being stored. */
export const cancelRefinementSignal = defineSignal<[CancelRefinementArgs]>('cancelRefinement');

export const progressQuery = defineQuery<RefinementProgress>('progress');

export interface StageAttemptReport {
  stage: Stage;
  attempt: number;
  /** Present when the attempt failed: what went wrong. */
  failure?: string;
  /** Present while a provider holds the work in its queue (position 0: being worked on). */
  waiting?: ProviderWaiting;
}
/**
 * Sent by the activities themselves when a stage is retried or an attempt fails, so the progress
 * query can tell the attempt number and the last failure (the server keeps these to itself until the
 * stage gives up).
 */
export const stageAttemptSignal = defineSignal<[StageAttemptReport]>('stageAttempt');

/** Keyword search attributes, registered on the server (`--search-attribute`). No prompts or URLs here. */
export const refinementStageKey = defineSearchAttributeKey('RefinementStage', SearchAttributeType.KEYWORD);
export const userIdKey = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
