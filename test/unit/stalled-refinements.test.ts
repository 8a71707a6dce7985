/**
 * Refinements that stopped progressing: which runs are candidates (by the RefinementStage they show
 * and their age), and how each is judged (its current stage past that stage's budget, or no answer).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import {
  countStalledRefinements,
  refinementTimeBudgetMs,
  stageLabelBoundsMs,
  stageTimeBudgetsMs,
  stalledReason,
} from '../../src/observability/running-refinements';

const budgets = stageTimeBudgetsMs();
const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

test('stage budgets add up to the refinement budget, and each label bound is far below it but the last', () => {
  const total = refinementTimeBudgetMs();
  expect(Object.values(budgets).reduce((a, b) => a + b, 0)).toBe(total);
  // download: 5 attempts of 90 s with at most 30 s between them.
  expect(budgets.download).toBe(5 * 90_000 + 4 * 30_000);
  const bounds = stageLabelBoundsMs(budgets);
  expect(bounds.download).toBe(budgets.download);
  expect(bounds.refine).toBe(budgets.download + budgets.refine);
  expect(bounds.refine).toBeLessThan(total / 3);
  expect(bounds.storeConcept).toBe(total);
});

test('a run is stalled when nothing answers for it, or its current stage ran past that stage budget', () => {
  expect(stalledReason(undefined, budgets, now)).toBe('no_answer');
  const running = { status: 'running' as const, currentStage: 'refine' as const };
  expect(stalledReason({ ...running, stageStartedAt: ago(budgets.refine + 1_000) }, budgets, now)).toBe('over_stage_budget');
  expect(stalledReason({ ...running, stageStartedAt: ago(budgets.refine - 1_000) }, budgets, now)).toBeUndefined();
  // A long refinement that moved on to a later stage is judged by that stage's budget, not its age.
  expect(stalledReason({ status: 'running', currentStage: 'storeImage', stageStartedAt: ago(60_000) }, budgets, now)).toBeUndefined();
  expect(stalledReason({ status: 'completed', currentStage: null, stageStartedAt: null }, budgets, now)).toBeUndefined();
});

test('candidates come from visibility by stage and age; each is judged on its progress query', async () => {
  const queries: string[] = [];
  const runs: Record<string, string[]> = { download: ['d-stuck'], refine: ['r-fine', 'r-silent', 'r-gone'], storeImage: [], storeConcept: [] };
  const answers: Record<string, () => Promise<unknown>> = {
    'd-stuck': async () => ({ status: 'running', currentStage: 'download', stageStartedAt: new Date(Date.now() - budgets.download - 5_000).toISOString() }),
    'r-fine': async () => ({ status: 'running', currentStage: 'storeImage', stageStartedAt: new Date().toISOString() }),
    'r-silent': () => new Promise(() => undefined),
    'r-gone': async () => {
      throw new WorkflowNotFoundError('gone', 'r-gone', undefined);
    },
  };
  const client = {
    workflow: {
      list: ({ query }: { query: string }) => {
        queries.push(query);
        const stage = /RefinementStage = '(\w+)'/.exec(query)![1];
        return (async function* () {
          for (const workflowId of runs[stage]) yield { workflowId };
        })();
      },
      getHandle: (id: string) => ({ query: () => answers[id]() }),
    },
    withDeadline: <T>(deadline: number, fn: () => Promise<T>) =>
      Promise.race([fn(), new Promise<T>((_, reject) => setTimeout(() => reject(new Error('deadline')), deadline - Date.now()))]),
  } as unknown as Client;

  const counts = await countStalledRefinements({ client, taskQueue: 'q', budgetMs: 0, stageBudgetsMs: budgets, queryTimeoutMs: 50 });
  expect(counts).toEqual({ over_stage_budget: 1, no_answer: 1 });
  expect(queries).toHaveLength(4);
  expect(queries[1]).toMatch(/ExecutionStatus = 'Running' AND TaskQueue = 'q' AND StartTime < '.+' AND RefinementStage = 'refine'/);
  // Without per-stage budgets nothing is looked for.
  expect(await countStalledRefinements({ client, taskQueue: 'q', budgetMs: 0 })).toBeUndefined();
});
