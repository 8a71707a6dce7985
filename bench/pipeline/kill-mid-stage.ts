/**
 * SIGKILL of a worker mid-stage, a replacement started at once (as a supervisor would), time from the
 * kill to the refinement's completion. The other stages are held by the test worker's hold; the
 * refine stage is killed during an open provider call, just after a heartbeat reached the server:
 * the worst moment, since the server then waits a whole heartbeat timeout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { loadConfig } from '../../src/config';
import { resolveStagePolicies } from '../../src/workflows/stage-policies';
import { FakeOpenAiImages } from '../../test/harness/fake-openai-images';
import type { JournalEntry } from '../../test/harness/worker-process';
import { refineOverride } from './held-in-refine';
import { request, waitFor } from './load';
import { loadAverage } from './proc-stats';
import { ms, type Row } from './stats';
import { refinementClient, WorkerProcess } from './temporal-stack';

export interface KillOptions {
  env: NodeJS.ProcessEnv;
  url: string;
  dir: string;
  quick: boolean;
  refineHeartbeat?: string;
}

export async function killMidStage(options: KillOptions): Promise<Row[]> {
  return [...(await killInCheapStages(options)), await killDuringProviderCall(options)];
}

async function killInCheapStages({ env: baseEnv, url, dir }: KillOptions): Promise<Row[]> {
  const journal = path.join(dir, 'journal.jsonl');
  const env: NodeJS.ProcessEnv = { ...baseEnv, TEMPORAL_TASK_QUEUE: `bench-kill-${process.pid}`, TEST_JOURNAL: journal };
  const stack = await refinementClient(loadConfig(env));
  const rows: Row[] = [];
  for (const activity of ['downloadOriginalImage', 'storeRefinedImage', 'storeRefinedConcept']) {
    const doomed = await WorkerProcess.start(env, path.join(dir, `worker-kill-${activity}.log`), { activity, when: 'before' });
    const req = request(url);
    await stack.refinements.start(req);
    await waitFor(`${activity} held`, () => journalHas(journal, { activity, phase: 'held', taskId: req.taskId }), 60_000);
    await doomed.kill('SIGKILL');
    const killedAt = performance.now();
    const replacement = await WorkerProcess.start(env, path.join(dir, `worker-after-${activity}.log`));
    const startedIn = performance.now() - killedAt;
    await stack.refinements.result(req.taskId);
    rows.push([`SIGKILL during ${activity} → completed`, '', ms(performance.now() - killedAt), `replacement worker ready after ${ms(startedIn)}; load average ${loadAverage()}`]);
    await replacement.kill('SIGTERM');
  }
  await stack.close();
  return rows;
}

async function killDuringProviderCall({ env: baseEnv, url, dir, quick, refineHeartbeat }: KillOptions): Promise<Row> {
  const provider = await FakeOpenAiImages.start();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TEMPORAL_TASK_QUEUE: `bench-kill-refine-${process.pid}`,
    CONCEPT_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: provider.origin,
    ...refineOverride(refineHeartbeat),
  };
  const config = loadConfig(env);
  const stack = await refinementClient(config);
  const recoveries: number[] = [];
  let startedIn = 0;
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const doomed = await WorkerProcess.start(env, path.join(dir, `worker-kill-refine-${i}.log`));
    provider.willAnswer({ kind: 'hang' });
    const calls = provider.requests.length;
    const req = request(url);
    await stack.refinements.start(req);
    await waitFor('the provider call', () => provider.requests.length > calls, 60_000);
    // The server's record of the attempt's last heartbeat; the kill follows the next one within a poll.
    const handle = stack.refinements.handle(req.taskId);
    const lastHeartbeat = async () => optionalTsToMs((await handle.describe()).raw.pendingActivities?.[0]?.lastHeartbeatTime);
    const seen = await lastHeartbeat();
    await waitFor('a heartbeat', async () => (await lastHeartbeat()) !== seen, 120_000, 25);
    await doomed.kill('SIGKILL');
    const killedAt = performance.now();
    const replacement = await WorkerProcess.start(env, path.join(dir, `worker-after-refine-${i}.log`));
    startedIn = performance.now() - killedAt;
    await stack.refinements.result(req.taskId);
    recoveries.push(performance.now() - killedAt);
    await replacement.kill('SIGTERM');
  }
  await stack.close();
  await provider.close();
  const policy = resolveStagePolicies(config.stagePolicies).refine;
  return [
    `SIGKILL during refineConceptImage (open provider call, just after a heartbeat) → completed`,
    '',
    ms(Math.max(...recoveries)),
    `worst of ${recoveries.map(ms).join(', ')}; refine heartbeat timeout ${policy.heartbeatTimeout}, retry after ${policy.initialInterval}; ` +
      `replacement ready after ${ms(startedIn)}; load average ${loadAverage()}`,
  ];
}

function journalHas(file: string, wanted: Partial<JournalEntry>): boolean {
  if (!fs.existsSync(file)) return false;
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .some((line) => {
      const entry = JSON.parse(line) as JournalEntry;
      return Object.entries(wanted).every(([k, v]) => entry[k as keyof JournalEntry] === v);
    });
}
