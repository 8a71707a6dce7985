/**
 * The deployed topology: two worker processes that share nothing but the services (the Temporal
 * server on PostgreSQL, Refinery's PostgreSQL database and the S3-compatible store). Each has its own
 * working directory, its own copy of the workflow bundle, and an environment of nothing but the
 * service addresses and credentials (no HOME, no image folder, nothing inherited from this process).
 * Refinements started through the gateway are spread over both; one worker is SIGKILLed while
 * stages are in flight on it; every refinement completes once, and nothing is left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestGateway } from '../harness/gateway';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';
import { WorkerHandle } from '../harness/worker-handle';
import type { JournalEntry } from '../harness/worker-process';

const REFINEMENTS = 8;
/** Only what a worker on another host would be given: where the services are, and how to reach them. */
const SERVICE_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_TASK_QUEUE',
  'DATABASE_URL',
  'IMAGE_STORE',
  'S3_BUCKET',
  'S3_PREFIX',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_FORCE_PATH_STYLE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
];

// The production server on PostgreSQL when the run has it (the deployed topology), else the dev server.
const server = temporalServers().find((s) => s.kind === 'postgres') ?? temporalServers()[0]!;

describe(`two workers sharing only the services, on the ${server.name}`, () => {
  let stack: TestStack;
  let gateway: TestGateway;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres', imageStore: 's3', temporalAddress: server.address });
    gateway = await TestGateway.start(stack, { GATEWAY_MAX_RUNNING_PER_USER: String(REFINEMENTS) });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  /** A host of its own: a working directory, a bundle copy, a journal, and the service variables only. */
  async function startWorkerHost(name: string, hold: { activity: string; when: 'before'; ms: number }) {
    const home = fs.mkdtempSync(path.join(stack.dir, `${name}-`));
    const bundle = path.join(home, 'workflow-bundle.js');
    fs.copyFileSync(process.env.WORKFLOW_BUNDLE_PATH!, bundle);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...Object.fromEntries(SERVICE_VARIABLES.map((v) => [v, stack.env[v]])),
      // Test settings: short timeouts so the dead worker's attempts are retried within seconds.
      REFINERY_STAGE_POLICIES: stack.env.REFINERY_STAGE_POLICIES,
      WORKER_STICKY_TIMEOUT_MS: '1000',
      WORKFLOW_BUNDLE_PATH: bundle,
      TEST_JOURNAL: path.join(home, 'journal.jsonl'),
      TEST_HOLD: JSON.stringify(hold),
    };
    const worker = await WorkerHandle.start(env, path.join(home, 'worker.log'), home);
    const journal = (): JournalEntry[] =>
      fs.existsSync(env.TEST_JOURNAL!)
        ? fs.readFileSync(env.TEST_JOURNAL!, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
        : [];
    return { worker, journal, home };
  }

  test('refinements started through the gateway spread over both; one worker is SIGKILLed mid-stage; each completes once', async () => {
    // Every first refine attempt waits 3 s on whichever worker took it, so both hold stages in flight.
    const hold = { activity: 'refineConceptImage', when: 'before' as const, ms: 3_000 };
    const [doomed, survivor] = [await startWorkerHost('host-a', hold), await startWorkerHost('host-b', hold)];
    expect(doomed.home).not.toBe(survivor.home);

    const token = await gateway.token('two-workers');
    const original = await conceptPng();
    const taskIds: string[] = [];
    for (let i = 0; i < REFINEMENTS; i++) {
      const form = new FormData();
      form.set('refinementPrompt', `Make it warmer, step ${i}`);
      form.set('logoDescription', 'A minimalist fox');
      form.set('themeDescription', 'Modern tech');
      form.set('image', new Blob([original], { type: 'image/png' }), 'fox.png');
      const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, body: form });
      expect(started.status).toBe(202);
      taskIds.push(((await started.json()) as { taskId: string }).taskId);
    }

    // Kill the first worker while it holds refine attempts, with other stages under way on both.
    const deadline = Date.now() + 60_000;
    while (!doomed.journal().some((e) => e.phase === 'held')) {
      if (Date.now() > deadline) throw new Error('the first worker never held a refine attempt');
      await new Promise((r) => setTimeout(r, 50));
    }
    const inFlightOnDoomed = new Set(doomed.journal().filter((e) => e.phase === 'held').map((e) => e.taskId));
    await doomed.worker.stop('SIGKILL');

    for (const taskId of taskIds) {
      const result = await stack.refinements.result(taskId);
      expect(result.taskId).toBe(taskId);
    }

    // Spread: both workers ran stages; the killed one had refinements in flight, finished by the other.
    const ranOn = (host: typeof doomed) => new Set(host.journal().filter((e) => e.phase === 'start').map((e) => e.taskId));
    expect(ranOn(doomed).size).toBeGreaterThan(0);
    expect(ranOn(survivor).size).toBeGreaterThan(0);
    expect(inFlightOnDoomed.size).toBeGreaterThan(0);
    for (const taskId of inFlightOnDoomed) {
      expect(survivor.journal().some((e) => e.taskId === taskId && e.activity === 'refineConceptImage' && e.phase === 'end')).toBe(true);
    }

    // Exactly once: one concept row and one stored image per refinement; nothing staged is left.
    for (const taskId of taskIds) expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
    const keys = await stack.storedKeys();
    expect(keys.filter((k) => k.startsWith('staging/'))).toEqual([]);
    expect(keys.filter((k) => k.startsWith('refined/')).sort()).toEqual(stack.keysOfBlobs(...taskIds.map((t) => `refined/two-workers/${t}.png`)));
    // The uploads stay (they are the concepts' originals), one each, and nothing else is there.
    expect(keys.filter((k) => !k.startsWith('refined/')).sort()).toEqual(stack.keysOfBlobs(...taskIds.map((t) => `uploads/${t}/original`)));
    await survivor.worker.stop('SIGTERM');
  });
});
