/**
 * What every stage activity shares: a logger bound to task and stage, one heartbeat per attempt
 * that keeps it visibly alive (so cancellation reaches it and a dead worker is noticed after the
 * heartbeat timeout; see attempt-heartbeat.ts), attempt reports to the workflow, and the translation
 * of typed errors into ApplicationFailures with the right retryability.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { RefineryError, describeError } from '../errors';
import { observeStageAttempt } from '../observability/metrics';
import type { StageAttemptReport } from '../workflows/messages';
import type { ProviderWaiting } from '../workflows/types';
import type { Stage } from '../workflows/stage-policies';
import { AttemptHeartbeat } from './attempt-heartbeat';

export interface StageDeps {
  logger: Logger;
  /** Tells the workflow about retries and failed attempts; best effort, never fails the stage. */
  reportAttempt(workflowId: string, report: StageAttemptReport): Promise<void>;
}

export interface StageContext {
  log: Logger;
  /**
   * Aborted on activity cancellation and on worker shutdown. The attempt heartbeats on its own for
   * as long as it runs, so work that waits (a provider call, a download) need not heartbeat.
   */
  signal: AbortSignal;
  /** What the previous attempt recorded with keepDetails (Temporal hands it to the retry). */
  earlierDetails: unknown;
  /** Records details that every later heartbeat carries, so a retry can resume from them. */
  keepDetails(details: unknown): void;
  /** Tells the workflow's progress that a provider holds the work in its queue; best effort. */
  reportWaiting(waiting: ProviderWaiting): void;
}

export async function runStage<T>(
  deps: StageDeps,
  stage: Stage,
  taskId: string,
  work: (ctx: StageContext) => Promise<T>,
): Promise<T> {
  const activity = Context.current();
  const { attempt, workflowExecution, isLocal } = activity.info;
  const log = deps.logger.child({ taskId, stage, attempt });
  const heartbeat = new AttemptHeartbeat(activity);
  // Not from a local activity: its report, a signal, would arrive while the workflow task that runs
  // it is still open, and if that task then ends the run, the server refuses the completion (a new
  // event came first) and the task is redone, stages included. Its failure reaches the workflow anyway.
  const report = async (r: StageAttemptReport) => {
    if (workflowExecution && !isLocal) await deps.reportAttempt(workflowExecution.workflowId, r);
  };
  if (attempt > 1) await report({ stage, attempt });
  // At debug: the finish line says the same with its duration, and a failure has lines of its own.
  log.debug('stage started');
  const startedAt = performance.now();
  const observed = observeStageAttempt(stage);
  try {
    const keepDetails = (kept: unknown) => heartbeat.keep(kept);
    const earlierDetails = activity.info.heartbeatDetails;
    const reportWaiting = (waiting: ProviderWaiting) => {
      report({ stage, attempt, waiting }).catch((err) => log.debug({ err }, 'could not report the provider queue'));
    };
    const result = await work({ log, signal: activity.cancellationSignal, earlierDetails, keepDetails, reportWaiting });
    log.info({ durationMs: Math.round(performance.now() - startedAt) }, 'stage finished');
    observed.succeeded();
    return result;
  } catch (err) {
    if (activity.cancellationSignal.aborted) {
      log.info({ reason: describeError(activity.cancellationSignal.reason) }, 'stage cancelled');
      observed.cancelled();
      throw activity.cancellationSignal.reason;
    }
    const failure = toApplicationFailure(err, taskId, stage);
    log.warn({ err, type: failure.type, retryable: !failure.nonRetryable }, 'stage attempt failed');
    observed.failed(failure.type ?? 'Error', !failure.nonRetryable);
    await report({ stage, attempt, failure: failure.message });
    throw failure;
  } finally {
    heartbeat.stop();
  }
}

/** The failure type is the error's class name, the message names the task and the stage. */
export function toApplicationFailure(err: unknown, taskId: string, stage: Stage): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const message = `task ${taskId}, ${stage}: ${describeError(err)}`;
  if (err instanceof RefineryError) {
    return ApplicationFailure.create({
      type: err.name,
      message,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryAfterMs,
    });
  }
  // Anything unforeseen (a bug, a library's own error) is retried: the retry policy bounds it.
  return ApplicationFailure.create({ type: err instanceof Error ? err.name : 'Error', message });
}
