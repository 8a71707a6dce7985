/**
 * How many refinements are running, and how many have run longer than their stages' timeouts and
 * retries could allow (then something is stuck: no worker polls, or a run waits on nothing). Read
 * from Temporal's visibility store at scrape time by the gateway, which has a client anyway; a
 * worker only knows the runs in its own cache.
 */
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { Gauge } from 'prom-client';
import { STAGES, resolveStagePolicies, type StagePolicyOverrides } from '../workflows/stage-policies';

/**
 * The longest a refinement can take when every stage uses all its attempts, each to its
 * startToCloseTimeout, with the longest backoff between them. A stage with unlimited attempts
 * (maximumAttempts 0) is counted as 100 attempts: past that it is stuck in any useful sense.
 */
export function refinementTimeBudgetMs(overrides: StagePolicyOverrides = {}): number {
  const policies = resolveStagePolicies(overrides);
  return STAGES.reduce((total, stage) => {
    const p = policies[stage];
    const attempts = p.maximumAttempts === 0 ? 100 : p.maximumAttempts;
    return total + attempts * msToNumber(p.startToCloseTimeout) + (attempts - 1) * msToNumber(p.maximumInterval);
  }, 0);
}

interface Source {
  client: Client;
  taskQueue: string;
  budgetMs: number;
}
let source: Source | undefined;

/** The gateway names its client; the last one built answers (tests build several in one process). */
export function countRunningRefinementsWith(next: Source): void {
  source = next;
}

async function count(olderThanMs?: number): Promise<number | undefined> {
  if (!source) return undefined;
  let query = `WorkflowType = 'refineConcept' AND ExecutionStatus = 'Running' AND TaskQueue = '${source.taskQueue}'`;
  if (olderThanMs !== undefined) query += ` AND StartTime < '${new Date(Date.now() - olderThanMs).toISOString()}'`;
  const { count: n } = await source.client.workflow.count(query);
  return n;
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
