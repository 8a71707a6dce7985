/**
 * Workflow shapes with no work in them: what Temporal itself costs per run on this machine, apart
 * from anything Refinery's stages do. `empty` is the floor of any workflow; `refineryShape` has the
 * refinement's shape (its patch marker, activities, local activities, task queues and search
 * attribute upserts) with every stage a no-op.
 */
import { patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { refinementStageKey as stageKey } from '../../src/workflows/messages';
import type * as activities from './activities';

export async function empty(): Promise<void> {}

/** One activity on the workflow's own task queue (dispatched eagerly): two workflow tasks. */
export async function oneActivity(): Promise<void> {
  await proxyActivities<typeof activities>({ startToCloseTimeout: '10s' }).noop();
}

/** One local activity: one workflow task. */
export async function oneLocalActivity(): Promise<void> {
  await proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' }).noop();
}

export async function refineryShape(): Promise<void> {
  patched('floor-change');
  const here = proxyActivities<typeof activities>({ startToCloseTimeout: '10s', heartbeatTimeout: '4s' });
  const provider = proxyActivities<typeof activities>({ startToCloseTimeout: '10s', heartbeatTimeout: '30s', taskQueue: `${workflowInfo().taskQueue}-provider` });
  const inTask = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
  await here.noop(); // download
  upsertSearchAttributes([{ key: stageKey, value: 'refine' }]);
  await provider.noop(); // refine
  await inTask.noop(); // store the image
  await here.noop(); // store the concept
  await inTask.noop(); // discard staged blobs
  upsertSearchAttributes([{ key: stageKey, value: 'completed' }]);
}
