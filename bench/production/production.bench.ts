/**
 * Refinery on the production topology, from outside: the production Temporal server on PostgreSQL,
 * SeaweedFS, two workers and the gateway (bench/production/topology.ts), driven through the gateway
 * as the web page drives it (half uploads, half URL downloads, each followed on its SSE stream), beside
 * B0 (the five stages called directly in this process, on the same S3 store and database) in the same run.
 *
 *   npm run bench:production -- [--refinements 300] [--in-flight 32] [--size 64] [--profile] [--server-env KEY=VALUE ...]
 *
 * Prints throughput, client latency p50/p95/p99, CPU per refinement of every process (from /proc),
 * the peak RSS of the workers, the gateway and the Temporal server, and the load average.
 * `--profile` runs worker 1 and the gateway under `node --cpu-prof` and prints where their JavaScript
 * threads spent their time, and where the Temporal server spent its CPU (its pprof endpoint);
 * profiling itself costs CPU: compare CPU figures only between runs of the same kind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { ImageServer } from '../../test/harness/image-server';
import { conceptPng } from '../../test/harness/images';
import { DirectPipeline } from '../pipeline/direct';
import { option, request, timed } from '../pipeline/load';
import { cpuMs, loadAverage, memory } from '../pipeline/proc-stats';
import { ms, percentile, printTable } from '../pipeline/stats';
import { GatewayDriver, type Origin } from './gateway-driver';
import { BackendSampler, machineBusyMs, treeCpuMs } from './processes';
import { monotonicUs, printSummary } from './profile-summary';
import { captureServerProfile, printServerProfile } from './server-profile';
import { perRefinement, requestCounts, serverPortOf } from './server-requests';
import { countS3Requests } from './s3-requests';
import { ProductionTopology } from './topology';

const argv = process.argv.slice(2);
const N = Number(option('--refinements') ?? 300);
const IN_FLIGHT = Number(option('--in-flight') ?? 32);
const SIZE = Number(option('--size') ?? 64);
const PROFILE = argv.includes('--profile');
/** `--server-env GOGC=200`: a setting of the Temporal server's process to measure (repeatable). */
const SERVER_ENV = Object.fromEntries(
  argv.flatMap((arg, i) => (arg === '--server-env' && argv[i + 1]?.includes('=') ? [argv[i + 1]!.split(/=(.*)/s).slice(0, 2)] : [])),
) as Record<string, string>;
/** Shorter than a run of the default size at this machine's pace, so that the whole profile is under load. */
const SERVER_PROFILE_SECONDS = 15;
const WARM_UP = 4;

/** `total` runs, `inFlight` at a time, run i in slot i % inFlight; each run's latency. */
async function load(total: number, inFlight: number, run: (i: number, slot: number) => Promise<void>): Promise<{ wallMs: number; latencies: number[]; failures: string[] }> {
  let next = 0;
  const latencies: number[] = [];
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, slot) => {
      for (let i = next++; i < total; i = next++) {
        try {
          latencies.push(await timed(() => run(i, slot)));
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    }),
  );
  return { wallMs: performance.now() - started, latencies, failures };
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 2 || !Number.isInteger(IN_FLIGHT) || IN_FLIGHT < 1) throw new Error('--refinements needs an integer >= 2, --in-flight >= 1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-bench-production-'));
  const profileDir = PROFILE ? path.join(dir, 'profiles') : undefined;
  console.log(`load average before: ${loadAverage()} (${os.cpus().length} cores); ${N} refinements at ${IN_FLIGHT} in flight, ${SIZE}x${SIZE} PNG${PROFILE ? ', profiling' : ''}${Object.keys(SERVER_ENV).length ? `, server with ${JSON.stringify(SERVER_ENV)}` : ''}`);
  const images = await ImageServer.start();
  const png = await conceptPng(SIZE);
  const url = images.serve('/original.png', { body: png });
  const topology = await ProductionTopology.start({ dir, profileDir, serverEnv: SERVER_ENV });
  const pg = new BackendSampler(topology.databases);
  let stopping: Promise<void> | undefined;
  const stopTopology = () => (stopping ??= topology.stop());
  try {
    // B0: the same stages on the same S3 store and database, in this process.
    // The S3 client finds its keys where the workers' does: in the environment.
    process.env.AWS_ACCESS_KEY_ID = topology.workerEnv.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = topology.workerEnv.AWS_SECRET_ACCESS_KEY;
    const direct = await DirectPipeline.open(loadConfig(topology.workerEnv), path.join(dir, 'direct.log'));
    await untilOneSucceeds('B0', () => direct.run(request(url))); // the database opens in the background
    await load(WARM_UP, WARM_UP, () => direct.run(request(url)));
    const b0Cpu = process.cpuUsage();
    const s3 = countS3Requests();
    const b0 = await load(N, IN_FLIGHT, () => direct.run(request(url)));
    const b0CpuPer = cpuOf(process.cpuUsage(b0Cpu)) / N;
    const b0S3 = s3.stop(N);
    await direct.close();

    const driver = await GatewayDriver.create(topology.gatewayOrigin, IN_FLIGHT);
    const source = (i: number): Origin => (i % 2 === 0 ? { kind: 'upload', png } : { kind: 'url', url });
    await load(WARM_UP, WARM_UP, (i, slot) => driver.refine(slot, source(i)));
    const pids = {
      worker1: topology.workers[0]!.pid,
      worker2: topology.workers[1]!.pid,
      gateway: topology.gateway.pid,
      temporal: topology.temporalPid,
      seaweedfs: topology.s3.pid,
    };
    const read = (): Record<keyof typeof pids | 'postgres' | 'machine', number> => ({
      worker1: treeCpuMs(pids.worker1),
      worker2: treeCpuMs(pids.worker2),
      gateway: treeCpuMs(pids.gateway),
      temporal: treeCpuMs(pids.temporal),
      seaweedfs: treeCpuMs(pids.seaweedfs),
      postgres: pg.totalMs(),
      machine: machineBusyMs(),
    });
    const metricsPort = serverPortOf(pids.temporal, 'TEMPORAL_SERVER_METRICS_PORT');
    const requestsBefore = await requestCounts(metricsPort);
    const loadBefore = loadAverage();
    const before = read();
    const driverCpu = process.cpuUsage();
    const window = { fromUs: monotonicUs(), toUs: 0 };
    const serverProfile = PROFILE ? path.join(profileDir!, 'temporal-server.pb.gz') : undefined;
    // The server's profile covers the run's first SERVER_PROFILE_SECONDS: its steady state.
    const serverProfiling =
      serverProfile &&
      captureServerProfile(serverPortOf(pids.temporal, 'TEMPORAL_SERVER_PPROF_PORT'), SERVER_PROFILE_SECONDS, serverProfile).catch((err: Error) =>
        console.log(`the Temporal server's profile failed: ${err.message}`),
      );
    const run = await load(N, IN_FLIGHT, (i, slot) => driver.refine(slot, source(i)));
    window.toUs = monotonicUs();
    await serverProfiling;
    const driverCpuPer = cpuOf(process.cpuUsage(driverCpu)) / N;
    const after = read();
    const peakMb = (pid: number) => `${Math.round(memory(pid).peak / 2 ** 20)} MB`;
    const loadAfter = loadAverage();
    const requests = perRefinement(requestsBefore, await requestCounts(metricsPort), N);
    const per = (name: keyof typeof after) => (after[name] - before[name]) / N;
    const topologyPer = per('worker1') + per('worker2') + per('gateway') + per('temporal') + per('seaweedfs') + per('postgres');

    const lat = (v: number[]) => (v.length ? `${ms(percentile(v, 50))} / ${ms(percentile(v, 95))} / ${ms(percentile(v, 99))}` : 'n/a');
    console.log();
    printTable(
      [
        [`throughput (${N} refinements, ${IN_FLIGHT} in flight)`, `${((b0.latencies.length / b0.wallMs) * 1000).toFixed(1)} /s`, `${((run.latencies.length / run.wallMs) * 1000).toFixed(1)} /s`, 'through the gateway: half uploads, half URLs'],
        ['client latency p50 / p95 / p99', lat(b0.latencies), lat(run.latencies), 'start request to the SSE end event'],
        ['failed', String(b0.failures.length), String(run.failures.length), run.failures[0] ?? b0.failures[0] ?? ''],
        ['event streams followed again after breaking off', '', String(driver.reconnects), driver.firstBreak ?? ''],
        ['S3 requests per refinement', (b0S3.total / N).toFixed(1), '', b0S3.byCommand],
        ['CPU per refinement: worker 1 / worker 2', '', `${ms(per('worker1'))} / ${ms(per('worker2'))}`, `together ${ms(per('worker1') + per('worker2'))}`],
        ['CPU per refinement: gateway', '', ms(per('gateway'))],
        ['CPU per refinement: Temporal server', '', ms(per('temporal'))],
        ['CPU per refinement: PostgreSQL backends', '', ms(per('postgres')), 'of this run\'s three databases'],
        ['CPU per refinement: SeaweedFS', '', ms(per('seaweedfs'))],
        ['CPU per refinement: the driver', ms(b0CpuPer), ms(driverCpuPer), 'B0: the five stages, image server included; driver: HTTP client and image server'],
        ['CPU per refinement: the topology', ms(b0CpuPer), ms(topologyPer), 'every process above but the driver'],
        ['CPU per refinement: whole machine', '', ms(per('machine')), 'all processes on the machine, other users included'],
        ['peak RSS: worker 1 / worker 2 / gateway / Temporal server', '', [pids.worker1, pids.worker2, pids.gateway, pids.temporal].map(peakMb).join(' / '), 'since each process started'],
        ['Temporal frontend requests per refinement', '', requests.frontendTotal.toFixed(1), 'by operation below; counts are not blurred by load'],
        ['Temporal persistence requests per refinement', '', requests.persistenceTotal.toFixed(1), 'the server\'s calls to PostgreSQL, by operation below'],
        ['load average during the run (before, after)', '', `${loadBefore} -> ${loadAfter}`],
      ],
      ['figure', 'B0 (direct)', 'production topology', 'note'],
    );
    console.log('\nTemporal frontend requests per refinement, busiest operations:');
    for (const [operation, count] of requests.frontend) console.log(`  ${count.toFixed(1).padStart(6)}  ${operation}`);
    console.log('Temporal persistence requests per refinement, busiest operations:');
    for (const [operation, count] of requests.persistence) console.log(`  ${count.toFixed(1).padStart(6)}  ${operation}`);
    if (PROFILE) {
      await stopTopology(); // the profiles are written as the processes exit
      for (const name of ['worker-1', 'gateway']) {
        const file = path.join(profileDir!, `${name}.cpuprofile`);
        if (fs.existsSync(file)) printSummary(`${name} profile, the measured run only`, file, window);
        else console.log(`\n${name}: no profile was written (${file})`);
      }
      await printServerProfile(`Temporal server profile, the first ${SERVER_PROFILE_SECONDS} s of the measured run`, serverProfile!);
    }
  } finally {
    pg.stop();
    await stopTopology();
    await images.close();
    console.log(`\nload average after: ${loadAverage()}`);
    if (process.env.KEEP_BENCH_DIR) console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Retries `run` until it succeeds once (up to a minute): the stores connect and migrate in the background. */
async function untilOneSucceeds(what: string, run: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return void (await run());
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} never succeeded: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const cpuOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
