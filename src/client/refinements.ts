/**
 * A typed client for refinements: start one (idempotently, by task id), read where it stands, wait
 * for its result, cancel it. The CLI and the HTTP gateway are built on it.
 */
import { randomUUID } from 'node:crypto';
import {
  isGrpcDeadlineError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionStatusName,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
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
import type { RefinementInput, RefinementProgress, RefinementResult, RefinementStatus, WebhookPolicy } from '../workflows/types';

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

export class RefinementClient {
  constructor(
    private readonly client: Client,
    private readonly options: RefinementClientOptions,
  ) {}

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

  /** Where the refinement stands: the workflow's own account, with the server's status as the authority. */
  async progress(taskId: string): Promise<RefinementProgress> {
    const handle = this.handle(taskId);
    const description = await this.describe(taskId);
    const progress = await this.client
      .withDeadline(Date.now() + (this.options.queryTimeoutMs ?? 5_000), () => handle.query(progressQuery))
      .catch((err) => {
        // No worker answered in time: fall back to what the server alone knows.
        if (isGrpcDeadlineError(err)) return undefined;
        throw err;
      });
    const status = refinementStatusOf(description.status.name);
    if (progress && (status === 'running' || progress.status !== 'running')) return progress;
    // No worker answered, or the run was terminated/timed out without the workflow noticing.
    const base = progress ?? initialProgress(taskId, description.startTime.toISOString());
    if (status === 'running') return base;
    const finishedAt = description.closeTime?.toISOString() ?? base.updatedAt;
    if (status === 'cancelled') {
      const reason = String(description.memo?.cancellationReason ?? 'cancel requested through Temporal');
      return { ...base, status: 'cancelled', finishedAt, cancellation: { reason, requestedAt: finishedAt, outcome: 'cancelled' } };
    }
    if (status === 'completed') return { ...base, status, finishedAt, result: await handle.result() };
    const ended = description.status.name.toLowerCase();
    return { ...base, status, finishedAt, lastFailure: base.lastFailure ?? `the run ended ${ended}` };
  }

  /** Waits for the end. Throws RefinementUnsuccessfulError when it failed or was cancelled. */
  async result(taskId: string): Promise<RefinementResult> {
    try {
      return await this.handle(taskId).result();
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

  /** Calls `onChange` whenever the progress changes, until the refinement ends; returns the last one. */
  async watch(
    taskId: string,
    onChange: (progress: RefinementProgress) => void,
    { intervalMs = 250, signal }: { intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<RefinementProgress> {
    let last = '';
    for (;;) {
      signal?.throwIfAborted();
      const progress = await this.progress(taskId);
      const key = JSON.stringify([progress.status, progress.currentStage, progress.finishedStages, progress.attempt, progress.lastFailure, progress.providerQueue]);
      if (key !== last) {
        last = key;
        onChange(progress);
      }
      if (progress.status !== 'running') return progress;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
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
