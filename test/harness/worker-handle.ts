import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Compiled by the global setup (compiled-workers.ts); tsx when a suite runs without it. */
function workerCommand(): string[] {
  const compiled = process.env.TEST_WORKER_ENTRY;
  return compiled ? [compiled] : ['--import', 'tsx', path.join(__dirname, 'worker-process.ts')];
}

/** A worker process started by a test; its output goes to `logFile`. */
export class WorkerHandle {
  private constructor(
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  /** `cwd`: the process's working directory (default: this one's). */
  static async start(env: NodeJS.ProcessEnv, logFile: string, cwd?: string): Promise<WorkerHandle> {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, workerCommand(), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.pipe(log);
    const ready = new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        seen += chunk.toString();
        if (seen.includes('worker ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready; see ${logFile}`)));
    });
    await ready;
    return new WorkerHandle(child, logFile);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL by default: the crash the pipeline must survive. SIGTERM asks for a graceful stop. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}
