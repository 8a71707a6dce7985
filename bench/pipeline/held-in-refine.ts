/**
 * What open provider calls cost while nothing else happens: refinements held in the refine stage by
 * a provider that never answers, on a worker allowed that many calls at once. Measured over a quiet
 * window: worker and dev server CPU (what the heartbeats cost), the heartbeats the server recorded
 * (a count, unblurred by CPU contention), worker RSS per held call, and how long a cancel takes to
 * reach a held call (the SDK delivers it in a heartbeat's answer, so the heartbeat cadence bounds it).
 */
import path from 'node:path';
import { msToNumber } from '@temporalio/common/lib/time';
import { loadConfig } from '../../src/config';
import { resolveStagePolicies } from '../../src/workflows/stage-policies';
import type { DevServer } from '../../test/harness/dev-server';
import { FakeOpenAiImages } from '../../test/harness/fake-openai-images';
import { concurrently, request, sleep, waitFor } from './load';
import { cpuMs, cpuMsByThread, loadAverage, memory } from './proc-stats';
import { recordedHeartbeats } from './server-metrics';
import { ms, percentile, type Row } from './stats';
import { refinementClient, WorkerProcess } from './temporal-stack';

export interface HeldOptions {
  env: NodeJS.ProcessEnv;
  server: DevServer;
  url: string;
  dir: string;
  quick: boolean;
  /** The refine stage's heartbeat timeout, as REFINERY_STAGE_POLICIES would set it; the shipped one if absent. */
  refineHeartbeat?: string;
}

export async function heldInRefine({ env: baseEnv, server, url, dir, quick, refineHeartbeat }: HeldOptions): Promise<Row[]> {
  const held = quick ? 200 : 1000;
  const cancelled = quick ? 5 : 20;
  const provider = await FakeOpenAiImages.start();
  provider.willAnswer(...Array.from({ length: held }, () => ({ kind: 'hang' as const })));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TEMPORAL_TASK_QUEUE: `bench-held-${process.pid}`,
    CONCEPT_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: provider.origin,
    PROVIDER_MAX_CONCURRENT_CALLS: String(held),
    // Longer than the benchmark holds them: only the benchmark ends these calls.
    PROVIDER_TIMEOUT_MS: String(30 * 60_000),
    ...refineOverride(refineHeartbeat),
  };
  const config = loadConfig(env);
  const policy = resolveStagePolicies(config.stagePolicies).refine;
  const timeoutMs = msToNumber(policy.heartbeatTimeout);
  // The server hears from each call once per 0.8 x timeout (the SDK's throttle), and calls started
  // together heartbeat together: a window of two timeouts sees each call about as often as it should.
  // A minute at least: a major GC of the worker comes every few tens of seconds and must be in it.
  const windowMs = Math.max(quick ? 5_000 : 60_000, 2 * timeoutMs);
  const stack = await refinementClient(config);
  const worker = await WorkerProcess.start(env, path.join(dir, 'worker-held.log'));
  await sleep(2_000);
  // What server and worker cost with nothing open (pollers, timers): the baseline the heartbeats add to.
  const idleMs = quick ? 5_000 : 10_000;
  const idleBefore = { server: cpuMs(server.pid!), worker: cpuMs(worker.pid) };
  await sleep(idleMs);
  const idle = { server: (cpuMs(server.pid!) - idleBefore.server) / idleMs, worker: (cpuMs(worker.pid) - idleBefore.worker) / idleMs };
  const rssBefore = memory(worker.pid).rss;
  const taskIds: string[] = [];
  await concurrently(held, 32, async () => taskIds.push((await stack.refinements.start(request(url))).taskId));
  await waitFor(`${held} open provider calls`, () => provider.requests.length >= held, 300_000);
  // Starting them leaves work behind (the workflows' last activations, the garbage of a thousand
  // starts): measured right away, that would count as heartbeat cost.
  await sleep(quick ? 3_000 : 15_000);
  const rssPer = (memory(worker.pid).rss - rssBefore) / held;

  const load = loadAverage();
  const before = { server: cpuMs(server.pid!), worker: cpuMs(worker.pid), threads: cpuMsByThread(worker.pid), heartbeats: await recordedHeartbeats(server) };
  await sleep(windowMs);
  const share = (now: number, then: number) => percent((now - then) / windowMs);
  const workerShare = share(cpuMs(worker.pid), before.worker);
  const serverShare = share(cpuMs(server.pid!), before.server);
  const threads = [...cpuMsByThread(worker.pid)]
    .map(([name, ms]) => [name, ms - (before.threads.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${share(ms, 0)}`)
    .join(', ');
  const heartbeatsPerSecond = ((await recordedHeartbeats(server)) - before.heartbeats) / (windowMs / 1000);

  // Calls started together heartbeat together: cancels spread over the start order meet every phase
  // of the heartbeat cadence, so their slowest shows the bound.
  const doomed = Array.from({ length: cancelled }, (_, i) => taskIds[Math.floor((i * taskIds.length) / cancelled)]!);
  for (const taskId of doomed) taskIds.splice(taskIds.indexOf(taskId), 1);
  const cancelAt = Date.now();
  await Promise.all(doomed.map((taskId) => stack.refinements.cancel(taskId, 'benchmark cancel')));
  const closedSince = () => provider.requests.filter((r) => r.closedAt !== undefined && r.closedAt >= cancelAt);
  await waitFor(`${cancelled} provider connections closed`, () => closedSince().length >= cancelled, 120_000, 20);
  const cancelLatencies = closedSince().map((r) => r.closedAt! - cancelAt);

  await concurrently(taskIds.length, 32, async () => {
    const taskId = taskIds.pop()!;
    await stack.refinements.handle(taskId).terminate('benchmark done');
  });
  await worker.kill('SIGKILL');
  await provider.close();
  await stack.close();
  const heartbeat = refineHeartbeat ?? `${policy.heartbeatTimeout} (shipped)`;
  return [
    [`worker RSS per refinement held in refine, ${held} open provider calls`, '', `${(rssPer / 1024).toFixed(0)} KB`],
    ['idle baseline, no call open (pollers, timers)', '', `worker ${percent(idle.worker)}, dev server ${percent(idle.server)} of a core`, `${idleMs / 1000} s window`],
    [
      `heartbeat cost, ${held} open provider calls, refine heartbeat timeout ${heartbeat}`,
      '',
      `worker ${workerShare}, dev server ${serverShare} of a core`,
      `${heartbeatsPerSecond.toFixed(0)} heartbeats/s recorded by the server; ${windowMs / 1000} s window; load average ${load}`,
    ],
    [`worker CPU by thread, ${held} open provider calls`, '', threads],
    [
      `cancel → provider connection closed, ${cancelled} of the ${held} held calls at once`,
      '',
      `p50 ${ms(percentile(cancelLatencies, 50))}, max ${ms(Math.max(...cancelLatencies))}`,
      `refine heartbeat timeout ${heartbeat}`,
    ],
  ];
}

/** The environment that overrides the refine stage's heartbeat timeout, or nothing. */
export function refineOverride(heartbeatTimeout: string | undefined): NodeJS.ProcessEnv {
  return heartbeatTimeout ? { REFINERY_STAGE_POLICIES: JSON.stringify({ refine: { heartbeatTimeout } }) } : {};
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;
