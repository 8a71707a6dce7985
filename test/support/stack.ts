/**
 * One refinery under test: a unique task queue on the shared dev server, a fresh image store folder,
 * PostgreSQL or SQLite, worker processes, a RefinementClient and a concept store to check rows with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { openConceptStore } from '../../src/adapters/concept-store/knex-concept-store';
import type { ConceptStore } from '../../src/adapters/concept-store/concept-store';
import { loadConfig, type Config } from '../../src/config';
import { RefinementClient, type StartRefinementRequest } from '../../src/client/refinements';
import { connectTemporalClient } from '../../src/temporal/connection';
import { STAGES, type StagePolicyOverrides } from '../../src/workflows/stage-policies';
import type { FaultPlan } from './faults';
import { WorkerHandle } from './worker-handle';
import type { HoldPlan, JournalEntry } from './worker-process';

/** Short timeouts so that a crashed attempt is retried within seconds. */
export const FAST_POLICIES: StagePolicyOverrides = Object.fromEntries(
  STAGES.map((stage) => [
    stage,
    { heartbeatTimeout: '2s', initialInterval: '200ms', maximumInterval: '1s', maximumAttempts: 5 },
  ]),
);

export interface StackOptions {
  database: 'postgres' | 'sqlite';
  temporalAddress?: string;
  stagePolicies?: StagePolicyOverrides;
  env?: Record<string, string>;
}

export interface WorkerOptions {
  hold?: HoldPlan;
  faults?: FaultPlan;
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
  ) {}

  static async create(options: StackOptions): Promise<TestStack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-stack-'));
    const taskQueue = `refinery-test-${process.pid}-${++counter}-${Date.now()}`;
    const stagePolicies = options.stagePolicies ?? FAST_POLICIES;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: options.temporalAddress ?? process.env.TEST_TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: taskQueue,
      IMAGE_STORE_ROOT: path.join(dir, 'images'),
      PUBLIC_IMAGE_BASE_URL: 'http://images.test/refined-store',
      ALLOW_PRIVATE_IMAGE_HOSTS: 'true',
      REFINERY_STAGE_POLICIES: JSON.stringify(stagePolicies),
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      WORKER_STICKY_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
      TEST_JOURNAL: path.join(dir, 'journal.jsonl'),
      ...(options.database === 'postgres'
        ? { DATABASE_URL: process.env.TEST_DATABASE_URL }
        : { DATABASE_URL: '', SQLITE_FILE: path.join(dir, 'refinery.sqlite') }),
      ...options.env,
    };
    if (options.database === 'sqlite') delete env.DATABASE_URL;
    const config = loadConfig(env);
    const temporal = await connectTemporalClient(config);
    const refinements = new RefinementClient(temporal, { taskQueue, stagePolicies, webhookPolicy: config.webhooks.retry });
    const concepts = await openConceptStore(config.database);
    return new TestStack(dir, env, config, temporal, refinements, concepts);
  }

  async startWorker(options: WorkerOptions = {}): Promise<WorkerHandle> {
    const env = {
      ...this.env,
      ...(options.hold ? { TEST_HOLD: JSON.stringify(options.hold) } : {}),
      ...(options.faults ? { TEST_FAULTS: JSON.stringify(options.faults) } : {}),
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

  /** Every file under the image store, relative to its root. */
  storedFiles(): string[] {
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
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
