/**
 * What durability costs: each figure of issue 10's table, measured side by side in one run.
 * B0 calls the five activity functions directly in this process; "through Temporal" runs the same
 * refinements through a dev server (started as `make start` starts it) and worker processes on the
 * shipped settings, with the local refiner, the SQLite concept store and the filesystem image store.
 * The only setting that differs from `make start` is ALLOW_PRIVATE_IMAGE_HOSTS, so the worker may
 * fetch originals from this process's loopback image server.
 *
 *   npm run bench:pipeline [-- --refine-heartbeat 15s] [-- --quick]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DevServer } from '../../test/support/dev-server';
import { FakeOpenAiImages } from '../../test/support/fake-openai-images';
import { ImageServer } from '../../test/support/image-server';
import { conceptPng, noisyPng } from '../../test/support/images';
import type { JournalEntry } from '../../test/support/worker-process';
import { DirectPipeline } from './direct';
import { cpuMs, loadAverage, memory, resetPeakRss } from './proc-stats';
import { mb, ms, percentile, printTable, type Row } from './stats';
import { refinementClient, WorkerProcess } from './temporal-stack';
import type { RefinementInput } from '../../src/workflows/types';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
/** Overrides the refine stage's heartbeat timeout, to measure what it trades (recovery time against CPU). */
const REFINE_HEARTBEAT = argv.includes('--refine-heartbeat') ? argv[argv.indexOf('--refine-heartbeat') + 1] : undefined;
const N_SMALL = QUICK ? 15 : 60;
const N_LARGE = QUICK ? 3 : 7;
const N_THROUGHPUT = QUICK ? 64 : 320;
const IN_FLIGHT = 32;
const HELD = QUICK ? 200 : 1000;
const HEARTBEAT_WINDOW_MS = QUICK ? 5_000 : 20_000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-bench-'));
let taskCounter = 0;

function request(originalImageUrl: string): RefinementInput {
  return {
    taskId: `bench-${process.pid}-${++taskCounter}`,
    userId: 'bench',
    originalImageUrl,
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function latencies(n: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await run(); // warm-up: JIT, libvips, connections, sticky caches
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timed(run));
  return out;
}

/** `total` runs, `inFlight` at a time; returns the wall time. */
async function concurrently(total: number, inFlight: number, run: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await run();
    }),
  );
  return performance.now() - started;
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  console.log(`load average before: ${loadAverage()} (${os.cpus().length} cores)`);
  const rows: Row[] = [];
  const [images, small, fiveMb, twentyMb] = await Promise.all([ImageServer.start(), conceptPng(64), noisyPng(5 * 1024 * 1024), noisyPng(19.5 * 1024 * 1024)]);
  const smallUrl = images.serve('/small.png', { body: small });
  const fiveMbUrl = images.serve('/5mb.png', { body: fiveMb });
  const twentyMbUrl = images.serve('/20mb.png', { body: twentyMb });
  const [server, bundle] = await Promise.all([DevServer.start(), writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'))]);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `bench-${process.pid}`,
    SQLITE_FILE: path.join(dir, 'refinery.sqlite'),
    IMAGE_STORE_ROOT: path.join(dir, 'images'),
    ALLOW_PRIVATE_IMAGE_HOSTS: 'true',
    WORKFLOW_BUNDLE_PATH: bundle,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  delete env.DATABASE_URL;
  delete env.REFINERY_STAGE_POLICIES;
  const config = loadConfig(env);

  // --- B0 -------------------------------------------------------------------------------------------
  const direct = await DirectPipeline.open(config, path.join(dir, 'direct.log'));
  const directSmall = await latencies(N_SMALL, () => direct.run(request(smallUrl)));
  const directLarge = await latencies(N_LARGE, () => direct.run(request(fiveMbUrl)));
  const directCpuBefore = process.cpuUsage();
  const directWall = await concurrently(N_THROUGHPUT, IN_FLIGHT, () => direct.run(request(smallUrl)));
  const directCpu = process.cpuUsage(directCpuBefore);
  const directCpuPer = (directCpu.user + directCpu.system) / 1000 / N_THROUGHPUT;
  resetPeakRss('self');
  const directRssBefore = memory('self').rss;
  await direct.run(request(twentyMbUrl));
  const directPeak = memory('self').peak - directRssBefore;
  await direct.close();

  // --- through Temporal -----------------------------------------------------------------------------
  const stack = await refinementClient(config);
  const worker = await WorkerProcess.start(env, path.join(dir, 'worker.log'));
  const through = (url: string) => async () => {
    const { taskId } = await stack.refinements.start(request(url));
    await stack.refinements.result(taskId);
  };
  const temporalSmall = await latencies(N_SMALL, through(smallUrl));
  const temporalLarge = await latencies(N_LARGE, through(fiveMbUrl));
  const cpuBefore = { server: cpuMs(server.pid!), worker: cpuMs(worker.pid) };
  const temporalWall = await concurrently(N_THROUGHPUT, IN_FLIGHT, through(smallUrl));
  const serverCpuPer = (cpuMs(server.pid!) - cpuBefore.server) / N_THROUGHPUT;
  const workerCpuPer = (cpuMs(worker.pid) - cpuBefore.worker) / N_THROUGHPUT;
  resetPeakRss(worker.pid);
  const workerRssBefore = memory(worker.pid).rss;
  await through(twentyMbUrl)();
  const workerPeak = memory(worker.pid).peak - workerRssBefore;
  await worker.kill('SIGTERM');

  const d50 = percentile(directSmall, 50);
  const t50 = percentile(temporalSmall, 50);
  rows.push(
    [`latency p50 / p99, one at a time, 64x64 (n=${N_SMALL})`, `${ms(d50)} / ${ms(percentile(directSmall, 99))}`,
      `${ms(t50)} / ${ms(percentile(temporalSmall, 99))}`, `overhead p50 +${ms(t50 - d50)}, p99 +${ms(percentile(temporalSmall, 99) - percentile(directSmall, 99))}`],
    [`latency p50, 5 MB image (n=${N_LARGE})`, ms(percentile(directLarge, 50)), ms(percentile(temporalLarge, 50)), `+${ms(percentile(temporalLarge, 50) - percentile(directLarge, 50))}`],
    [`throughput at ${IN_FLIGHT} in flight (${N_THROUGHPUT} refinements)`, `${((N_THROUGHPUT / directWall) * 1000).toFixed(1)} /s`, `${((N_THROUGHPUT / temporalWall) * 1000).toFixed(1)} /s`],
    ['CPU per refinement, all processes', ms(directCpuPer), ms(serverCpuPer + workerCpuPer), `dev server ${ms(serverCpuPer)}, worker ${ms(workerCpuPer)}; B0 includes the image server, Temporal excludes the client`],
    ['peak RSS increase, one 20 MB PNG', mb(directPeak), mb(workerPeak), `${(workerPeak / twentyMb.length).toFixed(1)}x the file`],
  );

  // --- refinements held in the refine stage, with open provider calls ----------------------------------
  rows.push(...(await heldInRefine(env, server, smallUrl)));
  // --- SIGKILL of a worker mid-stage -----------------------------------------------------------------
  rows.push(...(await killMidStage(env, smallUrl)));

  await stack.close();
  await server.stop();
  await images.close();
  console.log();
  printTable(rows);
  console.log(`\nload average after: ${loadAverage()}`);
  if (!process.env.KEEP_BENCH_DIR) fs.rmSync(dir, { recursive: true, force: true });
}

async function heldInRefine(baseEnv: NodeJS.ProcessEnv, server: DevServer, url: string): Promise<Row[]> {
  const provider = await FakeOpenAiImages.start();
  provider.willAnswer(...Array.from({ length: HELD }, () => ({ kind: 'hang' as const })));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TEMPORAL_TASK_QUEUE: `bench-held-${process.pid}`,
    CONCEPT_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: provider.origin,
    PROVIDER_MAX_CONCURRENT_CALLS: String(HELD),
    ...(REFINE_HEARTBEAT ? { REFINERY_STAGE_POLICIES: JSON.stringify({ refine: { heartbeatTimeout: REFINE_HEARTBEAT } }) } : {}),
  };
  const stack = await refinementClient(loadConfig(env));
  const worker = await WorkerProcess.start(env, path.join(dir, 'worker-held.log'));
  await new Promise((r) => setTimeout(r, 2_000));
  const rssBefore = memory(worker.pid).rss;
  const taskIds: string[] = [];
  await concurrently(HELD, 32, async () => taskIds.push((await stack.refinements.start(request(url))).taskId));
  await waitFor(`${HELD} open provider calls`, () => provider.requests.length >= HELD, 300_000);
  await new Promise((r) => setTimeout(r, 3_000));
  const rssPer = (memory(worker.pid).rss - rssBefore) / HELD;
  const before = { server: cpuMs(server.pid!), worker: cpuMs(worker.pid) };
  await new Promise((r) => setTimeout(r, HEARTBEAT_WINDOW_MS));
  const share = (now: number, then: number) => `${(((now - then) / HEARTBEAT_WINDOW_MS) * 100).toFixed(1)} %`;
  const workerShare = share(cpuMs(worker.pid), before.worker);
  const serverShare = share(cpuMs(server.pid!), before.server);
  await concurrently(taskIds.length, 32, async () => {
    const taskId = taskIds.pop()!;
    await stack.refinements.handle(taskId).terminate('benchmark done');
  });
  await worker.kill('SIGKILL');
  await provider.close();
  await stack.close();
  const heartbeat = REFINE_HEARTBEAT ?? '15s (shipped)';
  return [
    [`worker RSS per refinement held in refine, ${HELD} open provider calls`, '', `${(rssPer / 1024).toFixed(0)} KB`],
    [`heartbeat cost, ${HELD} open provider calls, refine heartbeat timeout ${heartbeat}`, '', `worker ${workerShare}, dev server ${serverShare} of a core`],
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

/** SIGKILL a worker while a stage is in flight, start a replacement at once (as a supervisor would), time to completion. */
async function killMidStage(baseEnv: NodeJS.ProcessEnv, url: string): Promise<Row[]> {
  const journal = path.join(dir, 'journal.jsonl');
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    TEMPORAL_TASK_QUEUE: `bench-kill-${process.pid}`,
    TEST_JOURNAL: journal,
    ...(REFINE_HEARTBEAT ? { REFINERY_STAGE_POLICIES: JSON.stringify({ refine: { heartbeatTimeout: REFINE_HEARTBEAT } }) } : {}),
  };
  const stack = await refinementClient(loadConfig(env));
  const rows: Row[] = [];
  for (const activity of ['downloadOriginalImage', 'refineConceptImage', 'storeRefinedImage', 'storeRefinedConcept']) {
    const doomed = await WorkerProcess.start(env, path.join(dir, `worker-kill-${activity}.log`), { activity, when: 'before' });
    const req = request(url);
    await stack.refinements.start(req);
    await waitFor(`${activity} held`, () => journalHas(journal, { activity, phase: 'held', taskId: req.taskId }), 60_000);
    await doomed.kill('SIGKILL');
    const killedAt = performance.now();
    const replacement = await WorkerProcess.start(env, path.join(dir, `worker-after-${activity}.log`));
    const startedIn = performance.now() - killedAt;
    await stack.refinements.result(req.taskId);
    rows.push([`SIGKILL during ${activity} → completed`, '', ms(performance.now() - killedAt), `replacement worker ready after ${ms(startedIn)}`]);
    await replacement.kill('SIGTERM');
  }
  await stack.close();
  return rows;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
