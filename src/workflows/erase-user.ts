/**
 * The eraseUser workflow: removes everything Refinery holds about one user (docs/erasure.md). Each
 * step is an activity that finds what is left and removes it, so the run survives a worker killed
 * half-way (the step is retried and goes on) and a second erasure of the same user finds nothing.
 * Order matters: the user's runs on Temporal stop first (a running refinement would otherwise write
 * an image or a row after they were erased), then the blobs, then the rows the blobs were found by.
 * The history holds the user id, the requester and counts: never content.
 */
import { ApplicationFailure, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { RefineryActivities } from '../activities';
import type { ErasureCounts, ErasureRecord } from '../activities/erase-user-audit';
import { ID_PATTERN } from './input-validation';

export type ErasureRequester = 'user' | 'operator';

export interface EraseUserInput {
  userId: string;
  requestedBy: ErasureRequester;
  /** The operator's login, for an operator's erasure. */
  operator?: string;
  /** When the starter was asked (ISO-8601); the run's start time when absent. */
  requestedAt?: string;
}

export interface EraseUserResult {
  /** The first run's id: the erasure's audit row. */
  erasureId: string;
  userId: string;
  status: 'completed';
  counts: ErasureCounts;
}

/** One erasure at a time per user: starting another while one runs joins it. */
export function erasureWorkflowIdFor(userId: string): string {
  return `erasure-${userId}`;
}

/** Passes at most: the first, and checks while the one before found something. */
const MAX_PASSES = 3;

/** A cancelled refinement normally closes within seconds; one still open after this is terminated. */
export const CANCEL_GRACE_MS = 60_000;

// No attempt limit: an erasure must finish, so a step is retried (with backoff) until it does.
const retry: ActivityOptions['retry'] = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' };

const { eraseUserRefinements } = proxyActivities<RefineryActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '10s',
  retry,
  summary: "Cancel the user's running refinements and delete their histories",
});
const { eraseUserImages, eraseUserRows } = proxyActivities<RefineryActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '10s',
  retry,
  summary: "Remove the user's images and rows",
});
const { recordErasureAudit } = proxyActivities<RefineryActivities>({
  startToCloseTimeout: '30s',
  retry,
  summary: 'Record the erasure in its audit row',
});

export async function eraseUser(input: EraseUserInput): Promise<EraseUserResult> {
  const { userId } = input;
  if (typeof userId !== 'string' || !ID_PATTERN.test(userId)) {
    throw ApplicationFailure.nonRetryable('invalid erasure request: userId is not a plain id', 'InvalidErasureInputError');
  }
  const info = workflowInfo();
  const counts = zeroCounts();
  const record = (status: ErasureRecord['status'], finishedAt: string | null): ErasureRecord => ({
    id: info.firstExecutionRunId,
    subjectUserId: userId,
    requestedBy: input.requestedBy,
    operator: input.operator ?? null,
    status,
    counts: { ...counts },
    requestedAt: input.requestedAt ?? info.startTime.toISOString(),
    finishedAt,
  });

  await recordErasureAudit(record('running', null));
  // The gateway keeps serving the user meanwhile: a refinement started during a pass may have
  // written after that pass looked. So a pass that found anything is followed by one that checks.
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    const found = zeroCounts();
    const step = async (part: Partial<ErasureCounts>) => {
      add(found, part);
      add(counts, part);
      await recordErasureAudit(record('running', null));
    };
    await step(await eraseUserRefinements({ userId, erasureWorkflowId: info.workflowId, cancelGraceMs: CANCEL_GRACE_MS }));
    await step(await eraseUserImages({ userId }));
    await step(await eraseUserRows({ userId }));
    if (Object.values(found).every((n) => n === 0)) break;
  }
  // Workflow time: deterministic, the time of the task that ran this.
  await recordErasureAudit(record('completed', new Date().toISOString()));
  return { erasureId: info.firstExecutionRunId, userId, status: 'completed', counts };
}

function zeroCounts(): ErasureCounts {
  return {
    workflowRuns: 0,
    runsCancelled: 0,
    conceptRows: 0,
    lineageLinksDetached: 0,
    refinedImages: 0,
    uploadedOriginals: 0,
    stagedBlobs: 0,
    webhookEndpoints: 0,
    webhookDeliveries: 0,
    apiKeys: 0,
    refinementRecords: 0,
    idempotencyKeys: 0,
  };
}

function add(total: ErasureCounts, part: Partial<ErasureCounts>): void {
  for (const [kind, n] of Object.entries(part) as [keyof ErasureCounts, number][]) total[kind] += n;
}
