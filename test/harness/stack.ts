/**
 * One refinery under test: a unique task queue on the shared dev server, an image store of its own (a
 * fresh folder, or a fresh prefix in the shared S3 bucket), PostgreSQL or SQLite, worker processes,
 * a RefinementClient and a concept store to check rows with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { openConceptStore } from '../../src/adapters/concept-store/knex-concept-store';
import type { MetaFile } from '../../src/adapters/image-store/meta-sidecar';
import { readObjectMetadata } from '../../src/adapters/image-store/s3-object-metadata';
import type { ConceptStore } from '../../src/adapters/concept-store/concept-store';
import { loadConfig, type Config } from '../../src/config';
import { RefinementClient, type StartRefinementRequest } from '../../src/client/refinements';
import { connectTemporalClient } from '../../src/temporal/connection';
import { POLICY_NAMES, type StagePolicyOverrides } from '../../src/workflows/stage-policies';
import type { FaultPlan } from './faults';
import { WorkerHandle } from './worker-handle';
import type { HoldPlan, JournalEntry } from './worker-process';

/** Short timeouts so that a crashed attempt is retried within seconds. */
export const FAST_POLICIES: StagePolicyOverrides = Object.fromEntries(
  POLICY_NAMES.map((stage) => [
    stage,
    { heartbeatTimeout: '2s', initialInterval: '200ms', maximumInterval: '1s', maximumAttempts: 5 },
  ]),
);

export interface StackOptions {
  database: 'postgres' | 'sqlite';
  /** Default filesystem; `s3` uses the run's SeaweedFS (test/harness/global-setup.ts) under a prefix of the stack's own. */
  imageStore?: 'filesystem' | 's3';
  temporalAddress?: string;
  stagePolicies?: StagePolicyOverrides;
  env?: Record<string, string>;
}

export interface WorkerOptions {
  hold?: HoldPlan;
  faults?: FaultPlan;
  /** Filesystem store: the first write onto a path containing this text stops between temp file and rename (see worker-process.ts). */
  holdWrite?: string;
  /** Settings of this worker only (e.g. a DATABASE_URL through a proxy). */
  env?: Record<string, string>;
}

let counter = 0;

export class TestStack {
  readonly workers: WorkerHandle[] = [];

  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly config: Config,
    readonly temporal: Client,
    readonly refinements: RefinementClient,
    readonly concepts: ConceptStore,
    /** A reconfigured stack shares its parent's folder; only the parent removes it. */
    private readonly ownsDir = true,
  ) {}

  static async create(options: StackOptions): Promise<TestStack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-stack-'));
    const taskQueue = `refinery-test-${process.pid}-${++counter}-${Date.now()}`;
    const stagePolicies = options.stagePolicies ?? FAST_POLICIES;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: options.temporalAddress ?? process.env.TEST_TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...imageStoreEnv(options.imageStore ?? 'filesystem', dir, taskQueue),
      PUBLIC_IMAGE_BASE_URL: 'http://images.test/refined-store',
      ALLOW_PRIVATE_IMAGE_HOSTS: 'true',
      REFINERY_STAGE_POLICIES: JSON.stringify(stagePolicies),
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      WORKER_STICKY_TIMEOUT_MS: '1000',
      // Unversioned, as a worker before Worker Versioning: every stack's task queues would otherwise join
      // one deployment version, which the server caps at 100 task queues. test/deploy/ runs versioned workers.
      WORKER_VERSIONING: 'false',
      LOG_LEVEL: 'info',
      TEST_JOURNAL: path.join(dir, 'journal.jsonl'),
      ...(options.database === 'postgres'
        ? { DATABASE_URL: process.env.TEST_DATABASE_URL }
        : { DATABASE_URL: '', SQLITE_FILE: path.join(dir, 'refinery.sqlite') }),
      ...options.env,
    };
    if (options.database === 'sqlite') delete env.DATABASE_URL;
    return TestStack.open(dir, env, true);
  }

  private static async open(dir: string, env: NodeJS.ProcessEnv, ownsDir: boolean): Promise<TestStack> {
    const config = loadConfig(env);
    const temporal = await connectTemporalClient(config);
    const stagePolicies = config.stagePolicies;
    const refinements = new RefinementClient(temporal, { taskQueue: config.temporal.taskQueue, stagePolicies, webhookPolicy: config.webhooks.retry });
    const concepts = await openConceptStore(config.database);
    return new TestStack(dir, env, config, temporal, refinements, concepts, ownsDir);
  }

  /**
   * The same refinery (task queue, store, database, journal) as it would be after a redeploy with
   * other settings, e.g. rotated keys: a new client, and workers started from it get `env` too.
   * Close it before its parent.
   */
  async reconfigured(env: Record<string, string>): Promise<TestStack> {
    return TestStack.open(this.dir, { ...this.env, ...env }, false);
  }

  async startWorker(options: WorkerOptions = {}): Promise<WorkerHandle> {
    const env = {
      ...this.env,
      ...(options.hold ? { TEST_HOLD: JSON.stringify(options.hold) } : {}),
      ...(options.faults ? { TEST_FAULTS: JSON.stringify(options.faults) } : {}),
      ...(options.holdWrite ? { TEST_HOLD_WRITE: options.holdWrite } : {}),
      ...options.env,
    };
    const worker = await WorkerHandle.start(env, path.join(this.dir, `worker-${this.workers.length + 1}.log`));
    this.workers.push(worker);
    return worker;
  }

  journal(): JournalEntry[] {
    const file = this.env.TEST_JOURNAL!;
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  }

  /** How many attempts of `activity` started for this task. */
  starts(activity: string, taskId: string): number {
    return this.journal().filter((e) => e.activity === activity && e.taskId === taskId && e.phase === 'start').length;
  }

  /** Resolves when an attempt of `activity` for this task reaches its hold point. */
  async waitUntilHeld(activity: string, taskId: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.journal().some((e) => e.activity === activity && e.taskId === taskId && e.phase === 'held')) {
      if (Date.now() > deadline) throw new Error(`${activity} for ${taskId} was not held within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Every key in the stack's image store, sorted: blobs, metadata sidecars, temp files and (S3)
   * unfinished multipart uploads, marked `<key> (unfinished upload)`. "Nothing left" is an empty list.
   */
  async storedKeys(): Promise<string[]> {
    const store = this.config.imageStore;
    if (store.kind === 'filesystem') return this.storedFiles();
    const client = s3ClientFor(this.env);
    const prefix = `${store.prefix}/`;
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: store.bucket, Prefix: prefix }));
      keys.push(...(uploads.Uploads ?? []).map((u) => `${u.Key!.slice(prefix.length)} (unfinished upload)`));
      return keys.sort();
    } finally {
      client.destroy();
    }
  }

  /** The raw bytes stored under a key, sidecars included (`<key>.meta.json`), whichever the store. */
  async readStored(key: string): Promise<Buffer> {
    const store = this.config.imageStore;
    if (store.kind === 'filesystem') return fs.readFileSync(path.join(store.root, ...key.split('/')));
    const client = s3ClientFor(this.env);
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: store.bucket, Key: `${store.prefix}/${key}` }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } finally {
      client.destroy();
    }
  }

  /** The content type and metadata stored with a blob: its sidecar, or (S3) the object's own metadata when it fits there. */
  async storedMetadata(key: string): Promise<MetaFile> {
    const store = this.config.imageStore;
    if (store.kind === 'filesystem') return JSON.parse((await this.readStored(`${key}.meta.json`)).toString('utf8')) as MetaFile;
    const client = s3ClientFor(this.env);
    try {
      return await readObjectMetadata({ client, bucket: store.bucket }, `${store.prefix}/${key}`);
    } finally {
      client.destroy();
    }
  }

  /**
   * The keys storedKeys lists for these blobs, sorted: each with its `.meta.json` sidecar in a
   * filesystem store; alone in S3, whose objects carry everyday metadata themselves.
   */
  keysOfBlobs(...keys: string[]): string[] {
    const withSidecar = this.config.imageStore.kind === 'filesystem';
    return keys.flatMap((key) => (withSidecar ? [key, `${key}.meta.json`] : [key])).sort();
  }

  /** Every file under a filesystem store, relative to its root (prefer storedKeys, which works for both). */
  storedFiles(): string[] {
    if (this.config.imageStore.kind !== 'filesystem') throw new Error('storedFiles() lists a filesystem store; use storedKeys()');
    const root = this.config.imageStore.root;
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((entry) => fs.statSync(path.join(root, entry)).isFile())
      .sort();
  }

  request(overrides: Partial<StartRefinementRequest> & { originalImageUrl: string }): StartRefinementRequest {
    return {
      userId: 'user-123',
      refinementPrompt: 'Make it more autumn-themed with orange and red',
      logoDescription: 'A minimalist fox',
      themeDescription: 'Modern tech with autumn colors',
      ...overrides,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop('SIGKILL')));
    await this.concepts.close();
    await this.temporal.connection.close();
    if (this.ownsDir && !process.env.KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function imageStoreEnv(kind: 'filesystem' | 's3', dir: string, taskQueue: string): Record<string, string> {
  if (kind === 'filesystem') return { IMAGE_STORE: 'filesystem', IMAGE_STORE_ROOT: path.join(dir, 'images') };
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: the S3 server is started by test/harness/global-setup.ts`);
    return value;
  };
  return {
    IMAGE_STORE: 's3',
    S3_BUCKET: need('TEST_S3_BUCKET'),
    S3_PREFIX: `stacks/${taskQueue}`,
    S3_ENDPOINT: need('TEST_S3_ENDPOINT'),
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
    // The standard AWS chain reads these, as it would in production.
    AWS_ACCESS_KEY_ID: need('TEST_S3_ACCESS_KEY_ID'),
    AWS_SECRET_ACCESS_KEY: need('TEST_S3_SECRET_ACCESS_KEY'),
  };
}

function s3ClientFor(env: NodeJS.ProcessEnv): S3Client {
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
}
