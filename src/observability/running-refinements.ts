/**
 * How many refinements are running, how many have run longer than their stages' timeouts and
 * retries could allow (then something is stuck: no worker polls, or a run waits on nothing), and how
 * many stopped progressing: their current stage has run past its own budget, or no worker answers
 * for them (a workflow task that fails on every attempt, e.g. non-determinism after a rollback). Read
 * from Temporal's visibility store at scrape time by the gateway, which has a client anyway; a
 * worker only knows the runs in its own cache.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { Gauge } from 'prom-client';
import { progressQuery } from '../workflows/messages';
import { STAGES, resolveStagePolicies, type Stage, type StagePolicyOverrides } from '../workflows/stage-policies';
import type { RefinementProgress } from '../workflows/types';

/**
 * The longest a refinement can take when every stage uses all its attempts, each to its
 * startToCloseTimeout, with the longest backoff between them. A stage with unlimited attempts
 * (maximumAttempts 0) is counted as 100 attempts: past that it is stuck in any useful sense.
 */
export function refinementTimeBudgetMs(overrides: StagePolicyOverrides = {}): number {
  const budgets = stageTimeBudgetsMs(overrides);
  return STAGES.reduce((total, stage) => total + budgets[stage], 0);
}

/** The same bound for each stage alone. */
export function stageTimeBudgetsMs(overrides: StagePolicyOverrides = {}): Record<Stage, number> {
  const policies = resolveStagePolicies(overrides);
  const budgets = {} as Record<Stage, number>;
  for (const stage of STAGES) {
    const p = policies[stage];
    const attempts = p.maximumAttempts === 0 ? 100 : p.maximumAttempts;
    budgets[stage] = attempts * msToNumber(p.startToCloseTimeout) + (attempts - 1) * msToNumber(p.maximumInterval);
  }
  return budgets;
}

/**
 * For each value of the RefinementStage search attribute, how long after its start a run still shows
 * it before it may be stuck: the budgets of that stage and every one before it. The attribute is not
 * moved at every stage (the cheap ones run inside one workflow task), so a run past this bound is only
 * a candidate, judged on its own progress (`stalledReason`).
 */
export function stageLabelBoundsMs(budgets: Record<Stage, number>): Record<Stage, number> {
  const bounds = {} as Record<Stage, number>;
  let total = 0;
  for (const stage of STAGES) bounds[stage] = total += budgets[stage];
  return bounds;
}

export type StallReason = 'over_stage_budget' | 'no_answer';

/**
 * Why a candidate run stopped progressing, or undefined if it did not. No progress (no worker answered
 * its query in time, or its workflow task fails) is itself a stall; otherwise the stage it is in has
 * run longer than that stage's timeouts and retries allow.
 */
export function stalledReason(
  progress: Pick<RefinementProgress, 'status' | 'currentStage' | 'stageStartedAt'> | undefined,
  budgets: Record<Stage, number>,
  now: number,
): StallReason | undefined {
  if (!progress) return 'no_answer';
  if (progress.status !== 'running' || !progress.currentStage || !progress.stageStartedAt) return undefined;
  return now - Date.parse(progress.stageStartedAt) > budgets[progress.currentStage] ? 'over_stage_budget' : undefined;
}

interface Source {
  client: Client;
  taskQueue: string;
  budgetMs: number;
  /** Per-stage budgets (stageTimeBudgetsMs); without them, stalled runs are not looked for. */
  stageBudgetsMs?: Record<Stage, number>;
  /** How long a candidate's progress query may take before it counts as no answer. */
  queryTimeoutMs?: number;
}
let source: Source | undefined;

/** The gateway names its client; the last one built answers (tests build several in one process). */
export function countRunningRefinementsWith(next: Source): void {
  source = next;
}

function runningQuery(from: Source, olderThanMs?: number): string {
  let query = `WorkflowType = 'refineConcept' AND ExecutionStatus = 'Running' AND TaskQueue = '${from.taskQueue}'`;
  if (olderThanMs !== undefined) query += ` AND StartTime < '${new Date(Date.now() - olderThanMs).toISOString()}'`;
  return query;
}

async function count(olderThanMs?: number): Promise<number | undefined> {
  if (!source) return undefined;
  const { count: n } = await source.client.workflow.count(runningQuery(source, olderThanMs));
  return n;
}

/** Queries at most this many candidates per scrape, all at once, so a scrape stays within seconds. */
export const MAX_STALL_CANDIDATES = 50;

/** Running refinements that stopped progressing, by reason; undefined when there is no source. */
export async function countStalledRefinements(from: Source | undefined = source): Promise<Record<StallReason, number> | undefined> {
  if (!from?.stageBudgetsMs) return undefined;
  const budgets = from.stageBudgetsMs;
  const bounds = stageLabelBoundsMs(budgets);
  const candidates: string[] = [];
  for (const stage of STAGES) {
    if (candidates.length >= MAX_STALL_CANDIDATES) break;
    const query = `${runningQuery(from, bounds[stage])} AND RefinementStage = '${stage}'`;
    for await (const run of from.client.workflow.list({ query, pageSize: MAX_STALL_CANDIDATES })) {
      if (candidates.length >= MAX_STALL_CANDIDATES) break;
      candidates.push(run.workflowId);
    }
  }
  const counts: Record<StallReason, number> = { over_stage_budget: 0, no_answer: 0 };
  const timeoutMs = from.queryTimeoutMs ?? 3_000;
  await Promise.all(
    candidates.map(async (workflowId) => {
      let progress: RefinementProgress | undefined;
      try {
        progress = await from.client.withDeadline(Date.now() + timeoutMs, () => from.client.workflow.getHandle(workflowId).query(progressQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return;
        // A deadline, or a query the worker could not answer because the run's code fails to replay.
        progress = undefined;
      }
      const reason = stalledReason(progress, budgets, Date.now());
      if (reason) counts[reason] += 1;
    }),
  );
  return counts;
}

new Gauge({
  name: 'refinery_refinements_running',
  help: 'Refinements running now on this task queue (Temporal visibility, read at scrape time).',
  async collect() {
    const n = await count().catch(() => undefined);
    if (n !== undefined) this.set(n);
  },
});

new Gauge({
  name: 'refinery_refinements_running_over_budget',
  help: "Running refinements older than their stages' timeouts and retries allow (refinery_refinement_time_budget_seconds).",
  async collect() {
    const n = source ? await count(source.budgetMs).catch(() => undefined) : undefined;
    if (n !== undefined) this.set(n);
  },
});

new Gauge({
  name: 'refinery_refinement_time_budget_seconds',
  help: 'The longest a refinement may run under the configured stage policies (every attempt used, to its timeout).',
  collect() {
    if (source) this.set(source.budgetMs / 1000);
  },
});

new Gauge({
  name: 'refinery_refinements_stalled',
  help:
    'Running refinements that stopped progressing, by reason: over_stage_budget (the current stage ran past its own ' +
    'timeouts and retries) or no_answer (no worker answers their progress query: a workflow task that keeps failing, or no worker).',
  labelNames: ['reason'] as const,
  async collect() {
    const counts = await countStalledRefinements().catch(() => undefined);
    if (!counts) return;
    for (const [reason, n] of Object.entries(counts)) this.set({ reason }, n);
  },
});
