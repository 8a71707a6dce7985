/**
 * The production topology as `make start-production-like` assembles it, on free loopback ports and
 * fresh databases: the production Temporal server on PostgreSQL with the shipped dynamic config
 * (deploy/temporal/dynamicconfig/production.yaml), SeaweedFS as the S3 store, two workers that share
 * nothing but those services, and the gateway; all compiled JavaScript from dist/.
 *
 * Settings that differ from the shipped defaults, and why:
 *  - ALLOW_PRIVATE_IMAGE_HOSTS: the workers fetch URL originals from the benchmark's loopback server;
 *  - the gateway's rate limits are raised: every request comes from one address and a few users, where
 *    a deployment sees many; the limits would otherwise measure themselves.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_DATABASE_URL, adminQuery } from '../../test/harness/postgres';
import { freePort } from '../../test/harness/ports';
import { S3Server } from '../../test/harness/s3-server';
import { PostgresTemporalServer } from '../../test/harness/temporal-server';
import { waitFor } from '../pipeline/load';
import { WorkerProcess } from '../pipeline/temporal-stack';
import { childPids, commandLine } from './processes';

const ROOT = path.join(__dirname, '..', '..');
const BUCKET = 'refinery-images';

export interface TopologyOptions {
  dir: string;
  /** Writes V8 CPU profiles of worker 1 and the gateway into this folder when they stop. */
  profileDir?: string;
  /** More environment for the Temporal server process (GOGC, GOMEMLIMIT). */
  serverEnv?: Record<string, string>;
}

export class ProductionTopology {
  private constructor(
    readonly temporal: PostgresTemporalServer,
    readonly s3: S3Server,
    readonly database: string,
    readonly workers: WorkerProcess[],
    readonly gateway: WorkerProcess,
    readonly gatewayOrigin: string,
    /** The environment the workers run with: B0 opens the same adapters from it. */
    readonly workerEnv: NodeJS.ProcessEnv,
  ) {}

  static async start({ dir, profileDir, serverEnv }: TopologyOptions): Promise<ProductionTopology> {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js'), '--if-stale'], { stdio: 'inherit' });
    const database = `refinery_bench_${process.pid}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    const [temporal, s3] = await Promise.all([PostgresTemporalServer.start({ env: serverEnv }), S3Server.start()]);
    const started: WorkerProcess[] = [];
    try {
      return await ProductionTopology.startRefinery({ dir, profileDir, database, temporal, s3, started });
    } catch (err) {
      // Nothing left running behind a failed start.
      await Promise.all(started.map((p) => p.kill('SIGKILL')));
      await Promise.all([temporal.stop(), s3.stop()]);
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      throw err;
    }
  }

  /** The bucket, then the workers and the gateway on the running services; each process into `started`. */
  private static async startRefinery({
    dir,
    profileDir,
    database,
    temporal,
    s3,
    started,
  }: TopologyOptions & { database: string; temporal: PostgresTemporalServer; s3: S3Server; started: WorkerProcess[] }): Promise<ProductionTopology> {
    await s3.createBucket(BUCKET);
    const admin = new URL(ADMIN_DATABASE_URL);
    admin.pathname = `/${database}`;
    const gatewayPort = await freePort();
    // What a host of the deployment is given: the services' addresses and credentials, nothing shared.
    const services: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: admin.toString(),
      IMAGE_STORE: 's3',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: s3.admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.admin.secretAccessKey,
      PUBLIC_IMAGE_BASE_URL: `http://127.0.0.1:${gatewayPort}/images`,
      ALLOW_PRIVATE_IMAGE_HOSTS: 'true',
      ...(process.env.LOG_LEVEL ? { LOG_LEVEL: process.env.LOG_LEVEL } : {}),
    };
    const profile = (name: string) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
    const workerEnv: NodeJS.ProcessEnv = { ...services, WORKFLOW_BUNDLE_PATH: path.join(ROOT, 'dist', 'workflow-bundle.js'), WORKER_BECOME_CURRENT: 'always' };
    const workers: WorkerProcess[] = [];
    for (const n of [1, 2]) {
      const host = path.join(dir, `worker-${n}`);
      fs.mkdirSync(host, { recursive: true });
      const env = { ...workerEnv, WORKER_HEALTH_PORT: String(await freePort()) };
      const args = [...(n === 1 ? profile('worker-1') : []), path.join(ROOT, 'dist', 'worker', 'main.js')];
      const worker = await WorkerProcess.spawn(args, env, path.join(dir, `worker-${n}.log`), '"worker started"', host);
      workers.push(worker);
      started.push(worker);
    }
    const gatewayEnv = {
      ...services,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_RATE_LIMIT_MAX: '1000000',
      GATEWAY_ADDRESS_RATE_LIMIT_MAX: '1000000',
      WEB_DIST_DIR: path.join(ROOT, 'dist', 'web'),
    };
    const origin = `http://127.0.0.1:${gatewayPort}`;
    // Ready on its first line of output; /readyz below says when it serves.
    const gateway = await WorkerProcess.spawn([...profile('gateway'), path.join(ROOT, 'dist', 'gateway', 'main.js')], gatewayEnv, path.join(dir, 'gateway.log'), '', ROOT);
    started.push(gateway);
    await waitFor('the gateway', async () => (await fetch(`${origin}/readyz`).catch(() => undefined))?.ok === true, 60_000, 250);
    return new ProductionTopology(temporal, s3, database, workers, gateway, origin, workerEnv);
  }

  /** The Temporal server's process (started detached by the harness, still this process's child). */
  get temporalPid(): number {
    const pid = childPids(process.pid).find((p) => commandLine(p).includes('temporal-server'));
    if (pid === undefined) throw new Error('the Temporal server process is not running');
    return pid;
  }

  /** The databases whose PostgreSQL backends serve this topology. */
  get databases(): string[] {
    return [this.database, this.temporal.databases.main, this.temporal.databases.visibility];
  }

  /** SIGTERM, so that profiling processes write their profiles; then the services and databases. */
  async stop(): Promise<void> {
    await Promise.all([...this.workers, this.gateway].map((p) => p.kill('SIGTERM')));
    await Promise.all([this.temporal.stop(), this.s3.stop()]);
    await adminQuery(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
  }
}
