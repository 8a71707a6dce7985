/**
 * The production Temporal server (v1.29.2, built by scripts/ensure-temporal-server.sh) running natively
 * on PostgreSQL for a jest run: two fresh databases set up by scripts/temporal-server-schema.sh, the
 * server's own config template (deploy/temporal/config/production.yaml) rendered from TEMPORAL_SERVER_*
 * variables with every port picked free on 127.0.0.1, and the namespace and search attributes that the
 * real server, unlike the dev server, does not create by itself. Restartable on the same databases.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection, type TLSConfig } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from './dev-server';
import { freePortInRange } from './ports';
import { ADMIN_DATABASE_URL, adminQuery } from './postgres';
import type { TemporalTestServer } from './temporal-test-server';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
const DEPLOY_DIR = path.join(ROOT, 'deploy/temporal');
const NAMESPACE = 'default';
/** The server's namespace cache refresh interval (system.namespaceCacheRefreshInterval, 2 s by default). */
const NAMESPACE_CACHE_REFRESH_MS = 2_000;
const READY_TIMEOUT_MS = 180_000;

/** TLS on the frontend: the server side of the TLS test. Paths to PEM files. */
export interface FrontendTls {
  certFile: string;
  keyFile: string;
  /** CA that client certificates must chain to; with requireClientAuth, mTLS. */
  clientCaFile?: string;
  requireClientAuth?: boolean;
  /** CA of the frontend's certificate, for the server's own system worker. */
  caFile: string;
  /** The name in the frontend's certificate. */
  serverName: string;
  /** Client certificate of the server's system worker (needed when client auth is required). */
  systemWorkerCertFile?: string;
  systemWorkerKeyFile?: string;
}

export interface PostgresTemporalServerOptions {
  tls?: FrontendTls;
  /** More environment for the server process, e.g. the Go runtime's GOGC (the benchmark's --server-env). */
  env?: Record<string, string>;
  /** How the harness itself connects (namespace setup, readiness) when the frontend speaks TLS. */
  adminTls?: TLSConfig;
}

let counter = 0;

export class PostgresTemporalServer implements TemporalTestServer {
  private child?: ChildProcess;
  readonly address: string;

  private constructor(
    private readonly dir: string,
    readonly databases: { main: string; visibility: string },
    private readonly env: Record<string, string>,
    private readonly adminTls: TLSConfig | undefined,
  ) {
    this.address = `127.0.0.1:${env.TEMPORAL_SERVER_FRONTEND_PORT}`;
  }

  /** The folders with `temporal-server` and `temporal-sql-tool` (built once per machine). */
  static binDir(): string {
    return execFileSync('bash', [path.join(ROOT, 'scripts/ensure-temporal-server.sh'), 'bin'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }

  static async start(options: PostgresTemporalServerOptions = {}): Promise<PostgresTemporalServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-temporal-pg-'));
    const id = `${process.pid}_${++counter}_${Date.now()}`;
    const databases = { main: `temporal_${id}`, visibility: `temporal_vis_${id}` };
    const admin = new URL(ADMIN_DATABASE_URL);
    const ports = await distinctFreePorts(11);
    const [frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership, pprof, metrics] = ports;
    const env: Record<string, string> = {
      TEMPORAL_SERVER_DB_HOST: admin.hostname,
      TEMPORAL_SERVER_DB_PORT: admin.port || '5432',
      TEMPORAL_SERVER_DB_USER: decodeURIComponent(admin.username) || 'postgres',
      TEMPORAL_SERVER_DB_PASSWORD: decodeURIComponent(admin.password),
      TEMPORAL_SERVER_DB: databases.main,
      TEMPORAL_SERVER_VISIBILITY_DB: databases.visibility,
      // Few shards: each is a unit of work the server keeps busy; 4 is plenty for a test run.
      TEMPORAL_SERVER_NUM_HISTORY_SHARDS: '4',
      TEMPORAL_SERVER_BIND_IP: '127.0.0.1',
      TEMPORAL_SERVER_FRONTEND_PORT: String(frontend),
      TEMPORAL_SERVER_FRONTEND_HTTP_PORT: String(frontendHttp),
      TEMPORAL_SERVER_FRONTEND_MEMBERSHIP_PORT: String(frontendMembership),
      TEMPORAL_SERVER_HISTORY_PORT: String(history),
      TEMPORAL_SERVER_HISTORY_MEMBERSHIP_PORT: String(historyMembership),
      TEMPORAL_SERVER_MATCHING_PORT: String(matching),
      TEMPORAL_SERVER_MATCHING_MEMBERSHIP_PORT: String(matchingMembership),
      TEMPORAL_SERVER_WORKER_PORT: String(worker),
      TEMPORAL_SERVER_WORKER_MEMBERSHIP_PORT: String(workerMembership),
      TEMPORAL_SERVER_PPROF_PORT: String(pprof),
      TEMPORAL_SERVER_METRICS_PORT: String(metrics),
      TEMPORAL_SERVER_DYNAMIC_CONFIG_FILE: path.join(DEPLOY_DIR, 'dynamicconfig/production.yaml'),
      TEMPORAL_SERVER_LOG_LEVEL: 'warn',
      ...tlsEnv(options.tls),
      ...options.env,
    };
    const server = new PostgresTemporalServer(dir, databases, env, options.adminTls);
    try {
      await run('bash', [path.join(ROOT, 'scripts/temporal-server-schema.sh')], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
      await server.startProcess();
      await server.createNamespace();
    } catch (err) {
      await server.stop().catch(() => undefined);
      throw err;
    }
    return server;
  }

  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  async startProcess(): Promise<void> {
    const bin = path.join(PostgresTemporalServer.binDir(), 'temporal-server');
    // Loopback only: --allow-no-auth means anyone who reaches the frontend controls it.
    const args = ['--root', DEPLOY_DIR, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'];
    const log = fs.openSync(this.logFile, 'a');
    // A clean environment: the server reads TEMPORAL_* variables of its own, which the test's may shadow.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), ...this.env };
    this.child = spawn(bin, args, { stdio: ['ignore', log, log], detached: true, env, cwd: this.dir });
    fs.closeSync(log);
    await this.waitUntilServing(async (connection) => {
      await connection.workflowService.getSystemInfo({});
    });
  }

  /** The real server creates no namespace: `default`, then its search attributes (they are per namespace). */
  private async createNamespace(): Promise<void> {
    await this.waitUntilServing(async (connection) => {
      const described = await connection.workflowService.describeNamespace({ namespace: NAMESPACE }).catch(() => undefined);
      if (!described) {
        await connection.workflowService.registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: msToTs('1 day') });
      }
      const existing = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
      const missing = Object.fromEntries(
        SEARCH_ATTRIBUTES.map((spec) => spec.split('='))
          .filter(([name]) => !(name! in (existing.customAttributes ?? {})))
          .map(([name]) => [name!, 2 /* INDEXED_VALUE_TYPE_KEYWORD */]),
      );
      if (Object.keys(missing).length > 0) {
        await connection.operatorService.addSearchAttributes({ namespace: NAMESPACE, searchAttributes: missing });
      }
      // A visibility query that names the attributes succeeds only once the frontend knows both.
      await connection.workflowService.listWorkflowExecutions({ namespace: NAMESPACE, query: `RefinementStage = 'probe' AND UserId = 'probe'` });
    });
    // History and matching keep namespace caches of their own, refreshed on this interval.
    await new Promise((r) => setTimeout(r, NAMESPACE_CACHE_REFRESH_MS + 500));
  }

  /** Retries `probe` on a fresh connection until it succeeds: the port opens before the services are ready. */
  private async waitUntilServing(probe: (connection: Connection) => Promise<void>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.child && this.child.exitCode !== null) {
        throw new Error(`the Temporal server exited with ${this.child.exitCode}; last lines of ${this.logFile}:\n${this.logTail()}`);
      }
      try {
        const connection = await Connection.connect({ address: this.address, tls: this.adminTls, connectTimeout: 2_000 });
        try {
          return await probe(connection);
        } finally {
          await connection.close();
        }
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`Temporal on PostgreSQL at ${this.address} never became ready: ${err}\n${this.logTail()}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private logTail(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await adminQuery(
      `DROP DATABASE IF EXISTS ${this.databases.main} WITH (FORCE)`,
      `DROP DATABASE IF EXISTS ${this.databases.visibility} WITH (FORCE)`,
    );
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function tlsEnv(tls: FrontendTls | undefined): Record<string, string> {
  if (!tls) return {};
  return {
    TEMPORAL_SERVER_TLS_CERT_FILE: tls.certFile,
    TEMPORAL_SERVER_TLS_KEY_FILE: tls.keyFile,
    TEMPORAL_SERVER_TLS_REQUIRE_CLIENT_AUTH: String(tls.requireClientAuth ?? false),
    TEMPORAL_SERVER_TLS_CA_FILE: tls.caFile,
    TEMPORAL_SERVER_TLS_SERVER_NAME: tls.serverName,
    ...(tls.clientCaFile ? { TEMPORAL_SERVER_TLS_CLIENT_CA_FILE: tls.clientCaFile } : {}),
    ...(tls.systemWorkerCertFile && tls.systemWorkerKeyFile
      ? { TEMPORAL_SERVER_TLS_SYSTEM_WORKER_CERT_FILE: tls.systemWorkerCertFile, TEMPORAL_SERVER_TLS_SYSTEM_WORKER_KEY_FILE: tls.systemWorkerKeyFile }
      : {}),
  };
}

/**
 * Distinct free ports below 32768: the server keeps membership ports in a SMALLINT column, and one
 * above 32767 stops it at start ("value ... is out of range for type smallint").
 */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePortInRange(20_000, 32_767));
  return [...ports];
}
