import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalCliPath } from './temporal-cli';
import { freePort, waitForPort } from './ports';
import type { TemporalTestServer } from './temporal-test-server';

const { dynamicConfigFlags } = require('../../scripts/dynamic-config-flags') as { dynamicConfigFlags(): string[] };

export const SEARCH_ATTRIBUTES = ['RefinementStage=Keyword', 'UserId=Keyword'];

export interface WebUiOptions {
  port: number;
  /** The UI's remote codec (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
}

/**
 * A real `temporal server start-dev` on SQLite, restartable on the same database file (the
 * server-restart test kills it mid-refinement and starts it again).
 */
export class DevServer implements TemporalTestServer {
  private child?: ChildProcess;
  readonly address: string;

  private constructor(
    readonly port: number,
    readonly dbFile: string,
    private readonly logFile: string,
    private readonly ui?: WebUiOptions,
    /** Where the server's Prometheus metrics are served (`/metrics`), if anywhere. */
    readonly metricsPort?: number,
  ) {
    this.address = `127.0.0.1:${port}`;
  }

  /** The server's process id (CPU and memory readings of the benchmark). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Headless unless `ui` asks for the Web UI. `metrics` serves the server's own counters (the
   * benchmark counts the heartbeats the server records there, a figure CPU contention does not blur).
   */
  static async start(ui?: WebUiOptions, { metrics = false }: { metrics?: boolean } = {}): Promise<DevServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-temporal-'));
    const metricsPort = metrics ? await freePort() : undefined;
    const server = new DevServer(await freePort(), path.join(dir, 'temporal.sqlite'), path.join(dir, 'server.log'), ui, metricsPort);
    await server.startProcess();
    return server;
  }

  async startProcess(): Promise<void> {
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port)];
    if (!this.ui) args.push('--headless');
    else {
      args.push('--ui-port', String(this.ui.port));
      if (this.ui.codecEndpoint) args.push('--ui-codec-endpoint', this.ui.codecEndpoint);
    }
    args.push('--db-filename', this.dbFile, '--log-level', 'warn');
    if (this.metricsPort) args.push('--metrics-port', String(this.metricsPort));
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
    // As `make start` runs it: the production server's dynamic config (eager activity dispatch, the
    // history shard's task reads), as flags.
    args.push(...dynamicConfigFlags());
    // Tests only: a Worker Deployment version's drainage is checked 2 s after it stopped taking new
    // runs and every 2 s after that (the server's defaults are 3 min each), so a test sees it change.
    for (const key of ['matching.wv.VersionDrainageStatusVisibilityGracePeriod', 'matching.wv.VersionDrainageStatusRefreshInterval']) {
      args.push('--dynamic-config-value', `${key}="2s"`);
    }
    for (const attr of SEARCH_ATTRIBUTES) args.push('--search-attribute', attr);
    const log = fs.openSync(this.logFile, 'a');
    this.child = spawn(temporalCliPath(), args, { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    await waitForPort(this.port, 60_000);
    await this.waitUntilServing();
  }

  /** The gRPC port opens before the frontend is ready to serve; wait for a real answer. */
  private async waitUntilServing(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 2_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return;
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`Temporal at ${this.address} never became ready: ${err}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** SIGKILL: the server gets no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    fs.rmSync(path.dirname(this.dbFile), { recursive: true, force: true });
  }
}
