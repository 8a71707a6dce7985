/**
 * The measured side: worker processes on the shipped settings, and the typed client the gateway uses.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { RefinementClient } from '../../src/client/refinements';
import type { Config } from '../../src/config';
import { connectTemporalClient } from '../../src/temporal/connection';
import { compileForWorkers, workerEntry } from '../../test/harness/compiled-workers';
import type { HoldPlan } from '../../test/harness/worker-process';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The environment of the measured worker processes: `make start`'s embedded defaults (SQLite, the
 * filesystem store under `dir`) on the given server and task queue, with one difference:
 * ALLOW_PRIVATE_IMAGE_HOSTS, so the worker may fetch originals from the benchmark's loopback server.
 */
export function benchEnv({ address, taskQueue, dir, bundle }: { address: string; taskQueue: string; dir: string; bundle: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SQLITE_FILE: path.join(dir, 'refinery.sqlite'),
    IMAGE_STORE_ROOT: path.join(dir, 'images'),
    ALLOW_PRIVATE_IMAGE_HOSTS: 'true',
    WORKFLOW_BUNDLE_PATH: bundle,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  delete env.DATABASE_URL;
  delete env.REFINERY_STAGE_POLICIES;
  return env;
}

/**
 * Compiled JavaScript, as production runs it: the shipped worker from dist/ (rebuilt first if src/
 * changed), and the test harness's worker (the production worker plus a hold, to kill a worker at a
 * chosen stage) compiled the way the tests compile it.
 */
function compiledWorkers(): { main: string; holding: string } {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--if-stale'], { stdio: 'inherit' });
  const compiled = compileForWorkers();
  process.once('exit', () => fs.rmSync(compiled, { recursive: true, force: true }));
  return { main: path.join(ROOT, 'dist', 'worker', 'main.js'), holding: workerEntry(compiled) };
}
let entries: ReturnType<typeof compiledWorkers> | undefined;

export class WorkerProcess {
  private constructor(readonly child: ChildProcess) {}

  static async start(env: NodeJS.ProcessEnv, logFile: string, hold?: HoldPlan): Promise<WorkerProcess> {
    entries ??= compiledWorkers();
    return hold
      ? WorkerProcess.spawn([entries.holding], { ...env, TEST_HOLD: JSON.stringify(hold) }, logFile, 'worker ready')
      : WorkerProcess.spawn([entries.main], env, logFile, '"worker started"');
  }

  /** Any worker process: `node <args>` in `cwd`, ready once its stdout says `ready`; its output goes to `logFile`. */
  static async spawn(args: string[], env: NodeJS.ProcessEnv, logFile: string, ready: string, cwd?: string): Promise<WorkerProcess> {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    child.stderr!.pipe(log);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (seen !== null && (seen += chunk.toString()).includes(ready)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready; see ${logFile}`)));
    });
    return new WorkerProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }
}

/** The typed client the gateway uses, on one task queue of the benchmark's dev server. */
export async function refinementClient(config: Config): Promise<{ refinements: RefinementClient; client: Client; close(): Promise<void> }> {
  const client = await connectTemporalClient(config);
  const refinements = new RefinementClient(client, { taskQueue: config.temporal.taskQueue, stagePolicies: config.stagePolicies });
  return { refinements, client, close: () => client.connection.close() };
}
