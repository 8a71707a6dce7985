/**
 * What durability costs: each figure beside its baseline (B0, the stages called directly), measured in one run.
 * B0 calls the five activity functions directly in this process; "through Temporal" runs the same
 * refinements through a dev server (started as `make start` starts it) and worker processes on the
 * shipped settings, with the local refiner, the SQLite concept store and the filesystem image store.
 * The only setting that differs from `make start` is ALLOW_PRIVATE_IMAGE_HOSTS, so the worker may
 * fetch originals from this process's loopback image server.
 *
 *   npm run bench:pipeline -- [--quick] [--only overhead,held,kill] [--refine-heartbeat 15s]
 *
 * Sections: `overhead` (B0 beside the same refinements through Temporal), `held` (open provider calls:
 * what their heartbeats cost, and how fast a cancel reaches one), `kill` (SIGKILL of a worker mid-stage).
 * `--refine-heartbeat` overrides the refine stage's heartbeat timeout in `held` and `kill`, to measure
 * what it trades: recovery after a kill against CPU while calls are open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DevServer } from '../../test/harness/dev-server';
import { ImageServer } from '../../test/harness/image-server';
import { conceptPng, noisyPng } from '../../test/harness/images';
import { DirectPipeline } from './direct';
import { heldInRefine } from './held-in-refine';
import { killMidStage } from './kill-mid-stage';
import { concurrently, option, request, timed } from './load';
import { cpuMs, loadAverage, memory, resetPeakRss } from './proc-stats';
import { LATENCY_RUNS, latencySummary, mb, ms, percentile, printTable, type Row } from './stats';
import { benchEnv, refinementClient, WorkerProcess } from './temporal-stack';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
/** Overrides the refine stage's heartbeat timeout, to measure what it trades (recovery time against CPU). */
const REFINE_HEARTBEAT = option('--refine-heartbeat');
const SECTIONS = ['overhead', 'held', 'kill'] as const;
type Section = (typeof SECTIONS)[number];
const ONLY = sections(option('--only'));
const N_SMALL = QUICK ? 15 : LATENCY_RUNS;
const N_LARGE = QUICK ? 3 : 7;
const N_THROUGHPUT = QUICK ? 64 : 320;
const IN_FLIGHT = 32;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-bench-'));

/** `--only held,kill`: the sections to run; all of them without it. */
function sections(list: string | undefined): Set<Section> {
  if (list === undefined) return new Set(SECTIONS);
  const wanted = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0 || wanted.length === 0) throw new Error(`--only takes some of ${SECTIONS.join(', ')}; got "${list}"`);
  return new Set(wanted as Section[]);
}

/**
 * One-at-a-time latencies of B0 and of Temporal, alternating run by run: this machine's speed drifts by
 * half within minutes, and a drift between two separate blocks would count as overhead.
 */
async function pairedLatencies(n: number, direct: () => Promise<unknown>, temporal: () => Promise<unknown>): Promise<{ direct: number[]; temporal: number[] }> {
  for (let i = 0; i < 3; i++) {
    await direct(); // warm-up: JIT, libvips, connections, sticky caches
    await temporal();
  }
  const out = { direct: [] as number[], temporal: [] as number[] };
  for (let i = 0; i < n; i++) {
    out.direct.push(await timed(direct));
    out.temporal.push(await timed(temporal));
  }
  return out;
}

async function main(): Promise<void> {
  console.log(`load average before: ${loadAverage()} (${os.cpus().length} cores); sections: ${[...ONLY].join(', ')}`);
  const rows: Row[] = [];
  const images = await ImageServer.start();
  const smallUrl = images.serve('/small.png', { body: await conceptPng(64) });
  const [server, bundle] = await Promise.all([DevServer.start(undefined, { metrics: true }), writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'))]);

  const env = benchEnv({ address: server.address, taskQueue: `bench-${process.pid}`, dir, bundle });

  if (ONLY.has('overhead')) rows.push(...(await overhead(env, server, images, smallUrl)));
  // Refinements held in the refine stage, with open provider calls.
  if (ONLY.has('held')) rows.push(...(await heldInRefine({ env, server, url: smallUrl, dir, quick: QUICK, refineHeartbeat: REFINE_HEARTBEAT })));
  // SIGKILL of a worker mid-stage.
  if (ONLY.has('kill')) rows.push(...(await killMidStage({ env, url: smallUrl, dir, quick: QUICK, refineHeartbeat: REFINE_HEARTBEAT })));

  await server.stop();
  await images.close();
  console.log();
  printTable(rows);
  console.log(`\nload average after: ${loadAverage()}`);
  if (!process.env.KEEP_BENCH_DIR) fs.rmSync(dir, { recursive: true, force: true });
}

/** B0 beside the same refinements through Temporal: latency, throughput, CPU and peak memory. */
async function overhead(env: NodeJS.ProcessEnv, server: DevServer, images: ImageServer, smallUrl: string): Promise<Row[]> {
  const [fiveMb, twentyMb] = await Promise.all([noisyPng(5 * 1024 * 1024), noisyPng(19.5 * 1024 * 1024)]);
  const fiveMbUrl = images.serve('/5mb.png', { body: fiveMb });
  const twentyMbUrl = images.serve('/20mb.png', { body: twentyMb });
  const config = loadConfig(env);

  const direct = await DirectPipeline.open(config, path.join(dir, 'direct.log'));
  const stack = await refinementClient(config);
  const worker = await WorkerProcess.start(env, path.join(dir, 'worker.log'));
  const through = (url: string) => async () => {
    const { taskId } = await stack.refinements.start(request(url));
    await stack.refinements.result(taskId);
  };
  const directly = (url: string) => () => direct.run(request(url));

  const small = await pairedLatencies(N_SMALL, directly(smallUrl), through(smallUrl));
  const large = await pairedLatencies(N_LARGE, directly(fiveMbUrl), through(fiveMbUrl));
  const [directSmall, temporalSmall, directLarge, temporalLarge] = [small.direct, small.temporal, large.direct, large.temporal];

  // Throughput and CPU in alternating halves, for the same reason.
  let directWall = 0;
  let directCpuMs = 0;
  let temporalWall = 0;
  const temporalCpu = { server: 0, worker: 0 };
  for (const half of [N_THROUGHPUT / 2, N_THROUGHPUT / 2]) {
    const cpuBefore = process.cpuUsage();
    directWall += await concurrently(half, IN_FLIGHT, directly(smallUrl));
    const cpu = process.cpuUsage(cpuBefore);
    directCpuMs += (cpu.user + cpu.system) / 1000;
    const before = { server: cpuMs(server.pid!), worker: cpuMs(worker.pid) };
    temporalWall += await concurrently(half, IN_FLIGHT, through(smallUrl));
    temporalCpu.server += cpuMs(server.pid!) - before.server;
    temporalCpu.worker += cpuMs(worker.pid) - before.worker;
  }
  const directCpuPer = directCpuMs / N_THROUGHPUT;
  const serverCpuPer = temporalCpu.server / N_THROUGHPUT;
  const workerCpuPer = temporalCpu.worker / N_THROUGHPUT;

  resetPeakRss('self');
  const directRssBefore = memory('self').rss;
  await direct.run(request(twentyMbUrl));
  const directPeak = memory('self').peak - directRssBefore;
  await direct.close();
  resetPeakRss(worker.pid);
  const workerRssBefore = memory(worker.pid).rss;
  await through(twentyMbUrl)();
  const workerPeak = memory(worker.pid).peak - workerRssBefore;
  await worker.kill('SIGTERM');
  await stack.close();

  const d50 = percentile(directSmall, 50);
  const t50 = percentile(temporalSmall, 50);
  return [
    [`latency p50 / p99 (max), one at a time, 64x64 (n=${N_SMALL})`, latencySummary(directSmall), latencySummary(temporalSmall),
      `overhead p50 +${ms(t50 - d50)}, p99 +${ms(percentile(temporalSmall, 99) - percentile(directSmall, 99))}`],
    [`latency p50, 5 MB image (n=${N_LARGE})`, ms(percentile(directLarge, 50)), ms(percentile(temporalLarge, 50)), `+${ms(percentile(temporalLarge, 50) - percentile(directLarge, 50))}`],
    [`throughput at ${IN_FLIGHT} in flight (${N_THROUGHPUT} refinements)`, `${((N_THROUGHPUT / directWall) * 1000).toFixed(1)} /s`, `${((N_THROUGHPUT / temporalWall) * 1000).toFixed(1)} /s`],
    ['CPU per refinement, all processes', ms(directCpuPer), ms(serverCpuPer + workerCpuPer), `dev server ${ms(serverCpuPer)}, worker ${ms(workerCpuPer)}; B0 includes the image server, Temporal excludes the client`],
    ['peak RSS increase, one 20 MB PNG', mb(directPeak), mb(workerPeak), `${(workerPeak / twentyMb.length).toFixed(1)}x the file`],
  ];
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
