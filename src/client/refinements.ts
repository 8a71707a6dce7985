/**
 * A typed client for refinements: start one (idempotently, by task id), read where it stands, wait
 * for its result, cancel it. The CLI and the HTTP gateway are built on it.
 */
import { randomUUID } from 'node:crypto';
import {
  isGrpcCancelledError,
  isGrpcDeadlineError,
  QueryRejectedError,
  WorkflowClient,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionStatusName,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { InvalidRefinementInputError } from '../errors';
import { findInputProblems, LIMITS, textProblem } from '../workflows/input-validation';
import { initialProgress } from '../workflows/progress';
import {
  cancelRefinementSignal,
  progressQuery,
  refinementStageKey,
  userIdKey,
  workflowIdFor,
} from '../workflows/messages';
import type { refineConcept } from '../workflows/refine-concept';
import type { StagePolicyOverrides } from '../workflows/stage-policies';
import type { RefinementInput, RefinementProgress, RefinementResult, RefinementReturn, RefinementStatus, WebhookPolicy } from '../workflows/types';

export type StartRefinementRequest = Omit<RefinementInput, 'taskId' | 'stagePolicies'> & { taskId?: string };

export interface StartedRefinement {
  taskId: string;
  workflowId: string;
  runId: string;
}

export class RefinementNotFoundError extends Error {
  constructor(readonly taskId: string) {
    super(`no refinement with task id ${taskId}`);
    this.name = 'RefinementNotFoundError';
  }
}

/** The refinement ended without a result: failed (with the stage's failure type) or cancelled. */
export class RefinementUnsuccessfulError extends Error {
  constructor(
    readonly taskId: string,
    readonly status: 'failed' | 'cancelled',
    readonly failureType: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'RefinementUnsuccessfulError';
  }
}

export type CancelOutcome =
  /** The cancel was accepted; the refinement is stopping and will end cancelled. */
  | 'cancelling'
  /** The concept was already being stored or the refinement had ended: nothing changed. */
  | 'too-late';

export interface RefinementClientOptions {
  taskQueue: string;
  stagePolicies?: StagePolicyOverrides;
  /** Webhook retry settings put in each run's input (WEBHOOK_RETRY_*). */
  webhookPolicy?: WebhookPolicy;
  /** How long a progress query may take before the client falls back to what the server alone knows. */
  queryTimeoutMs?: number;
}

/** What a run's status on the server means for its refinement: terminated and timed-out runs failed. */
export function refinementStatusOf(execution: WorkflowExecutionStatusName): RefinementStatus {
  switch (execution) {
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'FAILED':
    case 'TERMINATED':
    case 'TIMED_OUT':
      return 'failed';
    default:
      return 'running';
  }
}

const WORKFLOW_TASK_TIMEOUT = '5s';

export interface WatchOptions {
  /** The first wait between two looks, and the wait after a look that saw a change. */
  intervalMs?: number;
  /** The longest wait between two looks while nothing changes. */
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** Progress the caller has just read. */
  initial?: RefinementProgress;
}

export class RefinementClient {
  /**
   * The same connection, codec and interceptors, but a progress query to a closed run is refused by
   * the server at once instead of being replayed on a worker: following a running refinement costs
   * one request per look, with no describe beside it.
   */
  private readonly openRunQueries: WorkflowClient;

  constructor(
    private readonly client: Client,
    private readonly options: RefinementClientOptions,
  ) {
    const { loadedDataConverter, ...workflowOptions } = client.workflow.options;
    this.openRunQueries = new WorkflowClient({ ...workflowOptions, dataConverter: loadedDataConverter, queryRejectCondition: 'NOT_OPEN' });
  }

  /** Starting the same task id again, while it runs or after it ended, returns that same refinement. */
  async start(request: StartRefinementRequest): Promise<StartedRefinement> {
    const input = this.validInput(request);
    const workflowId = workflowIdFor(input.taskId);
    try {
      const handle = await this.client.workflow.start<typeof refineConcept>('refineConcept', {
        taskQueue: this.options.taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: userIdKey, value: input.userId },
          { key: refinementStageKey, value: 'download' },
        ],
        // The cheap stages run inside workflow tasks (local activities): a worker that dies in one is
        // noticed when the task times out, so this bounds their crash recovery. A longer stage keeps
        // its task alive by heartbeating it at 80 % of this.
        workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
        staticSummary: `Refine concept image for task ${input.taskId}`,
        staticDetails: `User ${input.userId}. Prompt: ${input.refinementPrompt}`,
      });
      return { taskId: input.taskId, workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await this.client.workflow.getHandle(workflowId).describe();
      return { taskId: input.taskId, workflowId, runId: existing.runId };
    }
  }

  /**
   * The workflow input for a request, checked by the workflow's own rules: throws
   * InvalidRefinementInputError for a request the workflow would refuse, before anything is stored.
   */
  validInput(request: StartRefinementRequest): RefinementInput {
    const input: RefinementInput = { ...request, taskId: request.taskId ?? randomUUID(), stagePolicies: this.options.stagePolicies };
    if (input.webhookEndpointIds?.length && !input.webhookPolicy && this.options.webhookPolicy) input.webhookPolicy = this.options.webhookPolicy;
    const problems = findInputProblems(input);
    if (problems.length > 0) throw new InvalidRefinementInputError(`invalid refinement request: ${problems.join('; ')}`);
    return input;
  }

  /**
   * Where the refinement stands: the workflow's own account, with the server's status as the
   * authority. While the run is open that is one query. A completed run's account came with its
   * result; other closed runs are asked again (a worker replays them) and checked against the
   * server's record.
   */
  async progress(taskId: string): Promise<RefinementProgress> {
    const openRun = this.openRunQueries.getHandle<typeof refineConcept>(workflowIdFor(taskId));
    try {
      // Undefined when no worker answered in time: the server's record is all there is.
      return (await this.withQueryDeadline(() => openRun.query(progressQuery))) ?? (await this.progressFromServer(taskId));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RefinementNotFoundError(taskId);
      if (!(err instanceof QueryRejectedError)) throw err;
      return this.progressOfClosedRun(taskId, err.status);
    }
  }

  /**
   * A closed run: its own final account, unless it was stopped from outside (terminated, timed out)
   * without noticing. A completed run returned that account with its result; others are asked.
   */
  private async progressOfClosedRun(taskId: string, status: temporal.api.enums.v1.WorkflowExecutionStatus): Promise<RefinementProgress> {
    if (status === temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      const { finalProgress, ...result } = await this.handle(taskId).result();
      if (finalProgress) return { ...finalProgress, result };
    }
    const progress = await this.withQueryDeadline(() => this.handle(taskId).query(progressQuery));
    if (progress && progress.status !== 'running') return progress;
    return this.progressFromServer(taskId, progress);
  }

  /** What the server alone knows, over the workflow's last account if there is one. */
  private async progressFromServer(taskId: string, reported?: RefinementProgress): Promise<RefinementProgress> {
    const description = await this.describe(taskId);
    const status = refinementStatusOf(description.status.name);
    const base = reported ?? initialProgress(taskId, description.startTime.toISOString());
    if (status === 'running') return base;
    const finishedAt = description.closeTime?.toISOString() ?? base.updatedAt;
    if (status === 'cancelled') {
      const reason = String(description.memo?.cancellationReason ?? 'cancel requested through Temporal');
      return { ...base, status: 'cancelled', finishedAt, cancellation: { reason, requestedAt: finishedAt, outcome: 'cancelled' } };
    }
    if (status === 'completed') return { ...base, status, finishedAt, result: withoutProgress(await this.handle(taskId).result()) };
    const ended = description.status.name.toLowerCase();
    return { ...base, status, finishedAt, lastFailure: base.lastFailure ?? `the run ended ${ended}` };
  }

  /**
   * A progress query that gives up after queryTimeoutMs: undefined when no worker answered in time.
   * The server may be first to end the call at the deadline: its reset reads as CANCELLED here, and
   * on a busy gateway it can arrive before this process's own deadline timer has fired.
   */
  private async withQueryDeadline(query: () => Promise<RefinementProgress>): Promise<RefinementProgress | undefined> {
    const deadline = Date.now() + (this.options.queryTimeoutMs ?? 5_000);
    return this.client.withDeadline(deadline, query).catch((err) => {
      if (isGrpcDeadlineError(err) || (isGrpcCancelledError(err) && Date.now() >= deadline)) return undefined;
      throw err;
    });
  }

  /** Waits for the end. Throws RefinementUnsuccessfulError when it failed or was cancelled. */
  async result(taskId: string): Promise<RefinementResult> {
    try {
      return withoutProgress(await this.handle(taskId).result());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RefinementNotFoundError(taskId);
      if (!(err instanceof WorkflowFailedError)) throw err;
      const progress = await this.progress(taskId);
      if (progress.status === 'cancelled') {
        throw new RefinementUnsuccessfulError(taskId, 'cancelled', undefined, `refinement ${taskId} was cancelled: ${progress.cancellation?.reason}`);
      }
      const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
      throw new RefinementUnsuccessfulError(taskId, 'failed', cause?.type ?? undefined, cause?.message ?? err.message);
    }
  }

  /** Sends the cancel signal unless the refinement is past the point where a cancel can change it. */
  async cancel(taskId: string, reason?: string): Promise<CancelOutcome> {
    // The reason lands in the run's memo and progress: the same text rule as every other field.
    const problem = reason === undefined ? undefined : textProblem(reason, LIMITS.cancelReasonLength);
    if (problem) throw new InvalidRefinementInputError(`invalid cancel request: reason ${problem}`);
    const progress = await this.progress(taskId);
    if (progress.status !== 'running' || progress.currentStage === 'storeConcept') return 'too-late';
    await this.handle(taskId).signal(cancelRefinementSignal, { reason });
    const after = await this.progress(taskId);
    return after.cancellation?.outcome === 'too-late' || after.status === 'completed' ? 'too-late' : 'cancelling';
  }

  /**
   * Calls `onChange` whenever the progress changes, until the refinement ends; returns the last one.
   * Looks again after `intervalMs`; each look that saw no change makes the next wait 1.5 times
   * longer, up to `maxIntervalMs`, so a stage that takes long is not asked about four times a second. `initial`
   * is progress the caller has just read: it is reported first instead of being read again.
   */
  async watch(
    taskId: string,
    onChange: (progress: RefinementProgress) => void,
    { intervalMs = 250, maxIntervalMs = 1_000, signal, initial }: WatchOptions = {},
  ): Promise<RefinementProgress> {
    let last = '';
    let wait = intervalMs;
    signal?.throwIfAborted();
    let progress = initial ?? (await this.progress(taskId));
    for (;;) {
      const key = JSON.stringify([progress.status, progress.currentStage, progress.finishedStages, progress.attempt, progress.lastFailure, progress.providerQueue]);
      if (key !== last) {
        last = key;
        wait = intervalMs;
        onChange(progress);
      } else {
        wait = Math.min(maxIntervalMs, Math.round(wait * 1.5));
      }
      if (progress.status !== 'running') return progress;
      await new Promise((resolve) => setTimeout(resolve, wait));
      signal?.throwIfAborted();
      progress = await this.progress(taskId);
    }
  }

  handle(taskId: string): WorkflowHandle<typeof refineConcept> {
    return this.client.workflow.getHandle<typeof refineConcept>(workflowIdFor(taskId));
  }

  private async describe(taskId: string) {
    try {
      return await this.handle(taskId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RefinementNotFoundError(taskId);
      throw err;
    }
  }
}

/** The result alone, as the API and the CLI show it. */
function withoutProgress({ finalProgress: _progress, ...result }: RefinementReturn): RefinementResult {
  return result;
}
