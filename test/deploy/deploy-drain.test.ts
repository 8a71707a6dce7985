/**
 * A deploy never pays the provider twice. First, refinements are in flight at the (fake) OpenAI
 * provider, each call shorter than the drain time; the worker is replaced (a new one started, the
 * old one sent SIGTERM) while every call is open. The old worker stops polling, lets its calls
 * finish and exits cleanly; the new one carries the refinements on. The fake counts one call per
 * refinement, and every refinement completes. Second, calls that cannot finish within the drain (fal
 * requests held in fal's queue): past the grace the old worker ends their attempts but leaves the
 * requests running at fal, each attempt's failure carries the request id in its heartbeat details,
 * and the new worker resumes each request instead of submitting it again.
 *
 * Versioned workers, as deployed (a deployment of each stack's own on the shared server): the old and
 * the new worker are one build, so the runs pinned to it move from one to the other.
 */
import { DeploymentClient } from '../../src/client/deployments';
import { FakeFalQueue } from '../harness/fake-fal-queue';
import { FakeOpenAiImages } from '../harness/fake-openai-images';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { eventually } from '../harness/expectations';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';

const REFINEMENTS = 12;
/** Each provider call: longer than a stage's heartbeat timeout and than starting a worker, shorter than the drain. */
const CALL_MS = 15_000;
const DRAIN_MS = 30_000;
jest.setTimeout(180_000);

const server = temporalServers()[0]!;

describe(`replacing the worker while provider calls are in flight, on the ${server.name}`, () => {
  let stack: TestStack;
  let fake: FakeOpenAiImages;
  let images: ImageServer;

  beforeAll(async () => {
    [fake, images] = await Promise.all([FakeOpenAiImages.start(), ImageServer.start()]);
    stack = await TestStack.create({
      database: 'sqlite',
      temporalAddress: server.address,
      env: {
        CONCEPT_PROVIDER: 'openai',
        OPENAI_BASE_URL: fake.origin,
        OPENAI_API_KEY: 'sk-test-drain-3b1e9d',
        PROVIDER_TIMEOUT_MS: '60000',
        PROVIDER_MAX_CONCURRENT_CALLS: String(REFINEMENTS),
        WORKER_VERSIONING: 'true',
        TEMPORAL_DEPLOYMENT_NAME: `drain-${process.pid}-${Date.now()}`,
        WORKER_SHUTDOWN_GRACE_MS: String(DRAIN_MS),
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
    await images?.close();
  });

  test('every refinement calls the provider once and completes', async () => {
    const old = await stack.startWorker();
    const deployments = new DeploymentClient(stack.temporal, stack.config.temporal.deploymentName);
    // The first versioned worker of a deployment makes its version current (WORKER_BECOME_CURRENT=if-none).
    const buildId = await eventually(async () => (await deployments.describe().catch(() => undefined))?.currentBuildId, 90_000, 'a current version');

    const original = await conceptPng();
    fake.willAnswer(...Array.from({ length: REFINEMENTS }, () => ({ kind: 'slow' as const, ms: CALL_MS })));
    const taskIds = Array.from({ length: REFINEMENTS }, (_, i) => `drain-${i}-${Date.now()}`);
    for (const taskId of taskIds) {
      await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve(`/${taskId}.png`, { body: original }) }));
    }
    await fake.waitForRequests(REFINEMENTS, 60_000);

    // The deploy: the new worker comes up beside the old one, then the old one is told to stop.
    const replacement = await stack.startWorker();
    const stopAsked = Date.now();
    const lastCallEnds = Math.max(...fake.requests.map((r) => r.arrivedAt)) + CALL_MS;
    const exitCode = await old.stop('SIGTERM');
    const stoppedAfter = Date.now() - stopAsked;
    console.log(`old worker exited ${exitCode} ${stoppedAfter} ms after SIGTERM, its last call due ${lastCallEnds - stopAsked} ms after it`);

    const results = await Promise.all(taskIds.map((taskId) => stack.refinements.result(taskId)));
    expect(results.map((r) => r.taskId).sort()).toEqual([...taskIds].sort());
    // One call per refinement: none cut short and paid for again.
    expect(fake.requests).toHaveLength(REFINEMENTS);
    expect(fake.requests.map((r) => r.behaviour)).toEqual(Array(REFINEMENTS).fill('slow'));
    expect(exitCode).toBe(0);
    // It waited for its calls to end (not cut at once), and no longer than the drain.
    expect(lastCallEnds - stopAsked).toBeGreaterThan(2_000);
    expect(stopAsked + stoppedAfter).toBeGreaterThanOrEqual(lastCallEnds);
    expect(stoppedAfter).toBeLessThan(DRAIN_MS);

    // One refine attempt each, finished by the old worker; what came after ran on the new one.
    const journal = stack.journal();
    for (const taskId of taskIds) {
      const refine = journal.filter((e) => e.activity === 'refineConceptImage' && e.taskId === taskId);
      expect(refine.map((e) => [e.phase, e.pid])).toEqual([
        ['start', old.pid],
        ['end', old.pid],
      ]);
      const stored = journal.filter((e) => e.activity === 'storeRefinedConcept' && e.taskId === taskId && e.phase === 'end');
      expect(stored.map((e) => e.pid)).toEqual([replacement.pid]);
    }
    // Both are one build: the runs stayed on it.
    const view = await deployments.describe();
    expect(view.currentBuildId).toBe(buildId);
    expect(view.versions.map((v) => v.buildId)).toEqual([buildId]);
  });
});

describe(`replacing the worker while fal requests outlast the drain, on the ${server.name}`, () => {
  const FAL_KEY = '5d6e7f80-1a2b-4c3d-9e8f-001122334455:ffeeddccbbaa99887766554433221100';
  const REQUESTS = 4;
  const SHORT_DRAIN_MS = 3_000;
  let stack: TestStack;
  let fake: FakeFalQueue;
  let images: ImageServer;

  beforeAll(async () => {
    [fake, images] = await Promise.all([FakeFalQueue.start(FAL_KEY), ImageServer.start()]);
    stack = await TestStack.create({
      database: 'sqlite',
      temporalAddress: server.address,
      env: {
        CONCEPT_PROVIDER: 'fal',
        FAL_QUEUE_BASE_URL: fake.origin,
        FAL_KEY,
        PROVIDER_QUEUE_POLL_INTERVAL_MS: '100',
        WORKER_VERSIONING: 'true',
        TEMPORAL_DEPLOYMENT_NAME: `drain-fal-${process.pid}-${Date.now()}`,
        WORKER_SHUTDOWN_GRACE_MS: String(SHORT_DRAIN_MS),
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
    await images?.close();
  });

  test('each request is submitted once and resumed by the new worker; none is cancelled at fal', async () => {
    const old = await stack.startWorker();
    const deployments = new DeploymentClient(stack.temporal, stack.config.temporal.deploymentName);
    await eventually(async () => (await deployments.describe().catch(() => undefined))?.currentBuildId, 90_000, 'a current version');

    const original = await conceptPng();
    fake.willRun(...Array.from({ length: REQUESTS }, () => ({ queue: [3, 2], hold: true })));
    const taskIds = Array.from({ length: REQUESTS }, (_, i) => `drain-fal-${i}-${Date.now()}`);
    for (const taskId of taskIds) {
      await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve(`/${taskId}.png`, { body: original }) }));
    }
    await fake.waitFor(() => fake.submissions().length === REQUESTS, 'every request submitted', 60_000);

    const replacement = await stack.startWorker();
    const stopAsked = Date.now();
    const exitCode = await old.stop('SIGTERM');
    const stoppedAfter = Date.now() - stopAsked;
    console.log(`old worker exited ${exitCode} ${stoppedAfter} ms after SIGTERM (drain ${SHORT_DRAIN_MS} ms), ${REQUESTS} fal requests held`);
    fake.release();
    await Promise.all(taskIds.map((taskId) => stack.refinements.result(taskId)));

    expect(exitCode).toBe(0);
    expect(stoppedAfter).toBeGreaterThanOrEqual(SHORT_DRAIN_MS);
    expect(fake.submissions()).toHaveLength(REQUESTS);
    expect(fake.callsOf('cancel')).toEqual([]);
    const journal = stack.journal();
    for (const taskId of taskIds) {
      const refine = journal.filter((e) => e.activity === 'refineConceptImage' && e.taskId === taskId && e.phase !== 'held');
      expect(refine.map((e) => [e.attempt, e.phase, e.pid])).toEqual([
        [1, 'start', old.pid],
        [1, 'error', old.pid],
        [2, 'start', replacement.pid],
        [2, 'end', replacement.pid],
      ]);
      const { notes } = await stack.refinements.progress(taskId);
      expect(notes.some((note) => /^resumed fal request \S+ after an interrupted attempt, without submitting it again$/.test(note))).toBe(true);
    }
  });
});
