/**
 * What Temporal costs per run before any stage does anything: workflows of no work (an empty one, one
 * local activity, one activity, and the refinement's own shape with no-op stages) beside the real
 * refinement, all on one dev server started as the pipeline benchmark starts it (`make start`'s flags).
 * The empty workflow is the baseline: no workflow shape can cost less on this server and SDK.
 *
 *   npx tsx bench/temporal-floor/floor.bench.ts [--quick]
 *
 * Per shape: latency one at a time, throughput and CPU per run (server and worker process) at 32 in flight.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DevServer } from '../../test/harness/dev-server';
import { ImageServer } from '../../test/harness/image-server';
import { conceptPng } from '../../test/harness/images';
import { concurrently, request, timed } from '../pipeline/load';
import { cpuMs, loadAverage } from '../pipeline/proc-stats';
import { LATENCY_RUNS, latencySummary, ms, printTable } from '../pipeline/stats';
import { benchEnv, refinementClient, WorkerProcess } from '../pipeline/temporal-stack';

const QUICK = process.argv.includes('--quick');
const N_LATENCY = QUICK ? 15 : LATENCY_RUNS;
const N_THROUGHPUT = QUICK ? 64 : 320;
const IN_FLIGHT = 32;
const SHAPES = [
  ['empty', '1 workflow task'],
  ['oneLocalActivity', '1 workflow task, 1 local activity'],
  ['oneActivity', '2 workflow tasks, 1 activity'],
  ['refineryShape', "the refinement's shape, no-op stages: 4 workflow tasks, 3 activities, 2 local"],
] as const;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-floor-'));

/** Latency one at a time, then throughput and CPU per run at 32 in flight, of the server and one worker process. */
async function measure(run: () => Promise<unknown>, serverPid: number, workerPid: number): Promise<string[]> {
  for (let i = 0; i < 5; i++) await run(); // warm-up: JIT, connections, sticky caches
  const latencies: number[] = [];
  for (let i = 0; i < N_LATENCY; i++) latencies.push(await timed(run));
  const before = { server: cpuMs(serverPid), worker: cpuMs(workerPid) };
  const wall = await concurrently(N_THROUGHPUT, IN_FLIGHT, run);
  const server = (cpuMs(serverPid) - before.server) / N_THROUGHPUT;
  const worker = (cpuMs(workerPid) - before.worker) / N_THROUGHPUT;
  return [
    latencySummary(latencies),
    `${((N_THROUGHPUT * 1000) / wall).toFixed(1)} /s`,
    `${ms(server + worker)} (server ${ms(server)}, worker ${ms(worker)})`,
  ];
}

async function main(): Promise<void> {
  console.log(`load average before: ${loadAverage()} (${os.cpus().length} cores)`);
  const server = await DevServer.start();
  const rows: string[][] = [];

  const taskQueue = `floor-${process.pid}`;
  const floorWorker = await WorkerProcess.spawn(
    ['--import', 'tsx', path.join(__dirname, 'worker.ts')],
    { ...process.env, TEMPORAL_ADDRESS: server.address, TASK_QUEUE: taskQueue },
    path.join(dir, 'floor-worker.log'),
    'floor worker ready',
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  let runs = 0;
  for (const [shape, what] of SHAPES) {
    const run = () => client.workflow.execute(shape, { taskQueue, workflowId: `${shape}-${++runs}` });
    rows.push([shape, what, ...(await measure(run, server.pid!, floorWorker.pid))]);
  }
  await floorWorker.kill();
  await connection.close();

  // The real refinement on the same server: the shipped worker, local refiner, SQLite, filesystem store.
  const images = await ImageServer.start();
  const url = images.serve('/small.png', { body: await conceptPng(64) });
  const bundle = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
  const env = benchEnv({ address: server.address, taskQueue: `floor-refinery-${process.pid}`, dir, bundle });
  const stack = await refinementClient(loadConfig(env));
  const worker = await WorkerProcess.start(env, path.join(dir, 'worker.log'));
  const refine = async () => {
    const { taskId } = await stack.refinements.start(request(url));
    await stack.refinements.result(taskId);
  };
  rows.push(['refinement', 'the shipped worker, 64x64 PNG, local refiner', ...(await measure(refine, server.pid!, worker.pid))]);
  await worker.kill();
  await stack.close();
  await images.close();
  await server.stop();

  console.log();
  printTable(rows, ['workflow', 'what a run is', 'latency p50 / p99 (max), one at a time', `throughput, ${IN_FLIGHT} in flight`, 'CPU per run']);
  console.log(`\nload average after: ${loadAverage()}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
