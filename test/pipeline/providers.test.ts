/**
 * The whole refinement on the real dev server and worker processes, with the image provider played
 * by its fake: what the provider received, Retry-After as the retry delay, fast failure on rejection,
 * cancellation of a hung call, no key in history or logs, and the provider rate limit across workers.
 */
import fs from 'node:fs';
import sharp from 'sharp';
import { temporal } from '@temporalio/proto';
import { RefinementUnsuccessfulError } from '../../src/client/refinements';
import { providerTaskQueue } from '../../src/workflows/messages';
import { FakeJigsawStack } from '../harness/fake-jigsawstack';
import { FakeOpenAiImages } from '../harness/fake-openai-images';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { eventually } from '../harness/expectations';

/** "worker ready" comes before polling starts: wait until the server sees both workers' pollers. */
async function bothWorkersPollProviderQueue(stack: TestStack): Promise<void> {
  await eventually(async () => {
    const { pollers } = await stack.temporal.workflowService.describeTaskQueue({
      namespace: stack.config.temporal.namespace,
      taskQueue: { name: providerTaskQueue(stack.config.temporal.taskQueue) },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    return new Set((pollers ?? []).map((p) => p.identity)).size >= 2 ? true : undefined;
  });
}

const OPENAI_KEY = 'sk-test-openai-5f2d9c81e0aa47b3';
const JIGSAW_KEY = 'sk_jigsaw_test_7c41d0e9b2f64a18';

let images: ImageServer;
let original: Buffer;

beforeAll(async () => {
  [images, original] = await Promise.all([ImageServer.start(), conceptPng()]);
});
afterAll(() => images?.close());

/** History as text with every payload decoded, so a key inside an activity input or result would show. */
async function historyText(stack: TestStack, taskId: string): Promise<string> {
  const history = await stack.refinements.handle(taskId).fetchHistory();
  return JSON.stringify(history, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value));
}

function workerLogs(stack: TestStack): string {
  return stack.workers.map((w) => fs.readFileSync(w.logFile, 'utf8')).join('\n');
}

async function outcome(promise: Promise<unknown>): Promise<RefinementUnsuccessfulError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof RefinementUnsuccessfulError)) throw new Error(`expected the refinement to fail, got ${String(err)}`);
  return err;
}

describe('refinement through the OpenAI-compatible provider', () => {
  let stack: TestStack;
  let fake: FakeOpenAiImages;
  const seenTasks: string[] = [];

  beforeAll(async () => {
    fake = await FakeOpenAiImages.start();
    stack = await TestStack.create({
      database: 'sqlite',
      env: {
        CONCEPT_PROVIDER: 'openai',
        OPENAI_BASE_URL: fake.origin,
        OPENAI_API_KEY: OPENAI_KEY,
        // Long enough that only a cancel can end a hung call in these tests.
        PROVIDER_TIMEOUT_MS: '60000',
      },
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  test('completes and stores the image the provider made', async () => {
    const taskId = `openai-ok-${Date.now()}`;
    seenTasks.push(taskId);
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl, preserveAspects: ['the fox silhouette'] }));
    const result = await stack.refinements.result(taskId);

    expect(fake.requests).toHaveLength(1);
    const [received] = fake.requests;
    expect(received.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(received.fields).toMatchObject({ model: 'gpt-image-1' });
    expect(received.prompt).toContain('Requested change: Make it more autumn-themed with orange and red');
    expect(received.prompt).toContain('Keep unchanged: the fox silhouette.');
    expect(received.image?.data.equals(original)).toBe(true);

    const stored = fs.readFileSync(result.imagePath);
    const [before, after] = await Promise.all([sharp(original).stats(), sharp(stored).stats()]);
    expect(after.channels[0].mean - after.channels[2].mean).toBeGreaterThan(before.channels[0].mean - before.channels[2].mean + 20);
    const progress = await stack.refinements.progress(taskId);
    expect(progress.notes).toContain('refined by gpt-image-1 through the image edits API');
  });

  test('429 with Retry-After: 2 is retried after 2 s, not after the 200 ms backoff', async () => {
    const taskId = `openai-429-${Date.now()}`;
    seenTasks.push(taskId);
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    fake.willAnswer({ kind: 'rateLimited', retryAfter: '2' });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.refinements.result(taskId);

    expect(fake.requests.map((r) => r.behaviour)).toEqual(['rateLimited', 'ok']);
    const spacing = fake.requests[1].arrivedAt - fake.requests[0].arrivedAt;
    console.log(`429 retry spacing: ${spacing} ms (Retry-After 2 s, stage initialInterval 200 ms)`);
    expect(spacing).toBeGreaterThanOrEqual(2_000);
    expect(spacing).toBeLessThan(3_500);
  });

  // The stage policy says 200 ms; the dev server was measured to retry it after ~1 s (it does not fire
  // activity retry timers much sooner), which is still clearly apart from the 2 s of Retry-After above.
  test('a 500 is retried on the stage backoff, sooner than Retry-After', async () => {
    const taskId = `openai-500-${Date.now()}`;
    seenTasks.push(taskId);
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    fake.willAnswer({ kind: 'serverError' });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.refinements.result(taskId);

    expect(fake.requests.map((r) => r.behaviour)).toEqual(['serverError', 'ok']);
    const spacing = fake.requests[1].arrivedAt - fake.requests[0].arrivedAt;
    console.log(`500 retry spacing: ${spacing} ms (stage initialInterval 200 ms, no Retry-After)`);
    expect(spacing).toBeGreaterThanOrEqual(200);
    expect(spacing).toBeLessThan(1_600);
  });

  test('a rejected request fails at once with the provider message and without the key', async () => {
    const taskId = `openai-reject-${Date.now()}`;
    seenTasks.push(taskId);
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    // Real providers echo (part of) a wrong key; the refinery must not pass it on.
    fake.willAnswer({ kind: 'reject', status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}.` });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const err = await outcome(stack.refinements.result(taskId));

    expect(err.status).toBe('failed');
    expect(err.failureType).toBe('PromptRejectedError');
    expect(err.message).toContain('openai answered HTTP 401: Incorrect API key provided: [redacted].');
    expect(fake.requests).toHaveLength(1);
  });

  test('cancelling during a hung call closes the provider connection and ends the run cancelled', async () => {
    const taskId = `openai-cancel-${Date.now()}`;
    seenTasks.push(taskId);
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    fake.willAnswer({ kind: 'hang' });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const [request] = await fake.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 1_000));

    const cancelledAt = Date.now();
    expect(await stack.refinements.cancel(taskId, 'changed my mind')).toBe('cancelling');
    const closedAt = await fake.waitForClose(request, 10_000);
    console.log(`cancel to provider connection closed: ${closedAt - cancelledAt} ms`);
    expect(closedAt - cancelledAt).toBeLessThan(5_000);

    const err = await outcome(stack.refinements.result(taskId));
    expect(err.status).toBe('cancelled');
    expect(fake.requests).toHaveLength(1);
    expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);
  });

  test('the API key appears neither in any workflow history nor in the worker logs', async () => {
    expect(seenTasks.length).toBeGreaterThanOrEqual(4);
    for (const taskId of seenTasks) {
      const history = await historyText(stack, taskId);
      expect(history).toContain(taskId);
      expect(history).not.toContain(OPENAI_KEY);
      expect(history).not.toContain(OPENAI_KEY.slice(8));
    }
    const logs = workerLogs(stack);
    expect(logs).toContain('Incorrect API key provided: [redacted]');
    expect(logs).not.toContain(OPENAI_KEY.slice(8));
  });
});

describe('provider rate limit across two worker processes', () => {
  const RATE = 2;
  let stack: TestStack;
  let fake: FakeJigsawStack;

  beforeAll(async () => {
    fake = await FakeJigsawStack.start();
    stack = await TestStack.create({
      database: 'sqlite',
      env: {
        CONCEPT_PROVIDER: 'jigsawstack',
        JIGSAWSTACK_BASE_URL: fake.origin,
        JIGSAWSTACK_API_KEY: JIGSAW_KEY,
        PROVIDER_RATE_PER_SECOND: String(RATE),
        // One call at a time per worker, each taking 800 ms (below): two calls dispatched close
        // together must go to different workers, while the two together could still do 2.5 calls/s,
        // more than the rate, so the rate is what holds them back.
        PROVIDER_MAX_CONCURRENT_CALLS: '1',
      },
    });
    await Promise.all([stack.startWorker(), stack.startWorker()]);
    await bothWorkersPollProviderQueue(stack);
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  test(`eight refinements reach the provider at no more than ${RATE} per second`, async () => {
    const taskIds = Array.from({ length: 8 }, (_, i) => `jigsaw-rate-${i}-${Date.now()}`);
    fake.willAnswer(...taskIds.map(() => ({ kind: 'slow' as const, ms: 800 })));
    await Promise.all(
      taskIds.map((taskId) =>
        stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve(`/${taskId}.png`, { body: original }) })),
      ),
    );
    await Promise.all(taskIds.map((taskId) => stack.refinements.result(taskId)));

    const arrivals = fake.requests.map((r) => r.arrivedAt).sort((a, b) => a - b);
    const offsets = arrivals.map((t) => t - arrivals[0]);
    const maxWithin = (windowMs: number) => Math.max(...arrivals.map((t) => arrivals.filter((u) => u >= t && u < t + windowMs).length));
    const maxInAnySecond = maxWithin(1_000);
    const pids = new Set(stack.journal().filter((e) => e.activity === 'refineConceptImage' && e.phase === 'start').map((e) => e.pid));
    console.log(`provider arrivals (ms from first): ${offsets.join(', ')}; max in any 1 s window: ${maxInAnySecond}; worker pids: ${pids.size}`);

    expect(arrivals).toHaveLength(8);
    // Measured on the dev server: the first calls go out at once (one per task queue partition, 4 by
    // default), then the queue is held to the rate. So in any window of T seconds: at most
    // BURST + RATE * T calls; and eight calls cannot all pass in the first burst.
    const BURST = 4;
    for (const seconds of [1, 2, 3, 4]) expect(maxWithin(seconds * 1_000)).toBeLessThanOrEqual(BURST + RATE * seconds);
    expect(arrivals[7] - arrivals[0]).toBeGreaterThanOrEqual(((8 - BURST) / RATE) * 1_000 - 100);
    expect(pids.size).toBe(2);
    expect(fake.requests.every((r) => r.headers['x-api-key'] === JIGSAW_KEY)).toBe(true);
  });

  test('a URL answer is fetched through the safe download and stored', async () => {
    fake.reset();
    const taskId = `jigsaw-url-${Date.now()}`;
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    fake.willAnswer({ kind: 'url' });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const result = await stack.refinements.result(taskId);

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].fields).toMatchObject({ url: originalImageUrl });
    const stored = fs.readFileSync(result.imagePath);
    const [before, after] = await Promise.all([sharp(original).stats(), sharp(stored).stats()]);
    expect(after.channels[0].mean - after.channels[2].mean).toBeGreaterThan(before.channels[0].mean - before.channels[2].mean + 20);
    expect(await historyText(stack, taskId)).not.toContain(JIGSAW_KEY);
    expect(workerLogs(stack)).not.toContain(JIGSAW_KEY);
  });
  test('a hosted result whose first fetch answers 503 is fetched again, not generated again (one provider call)', async () => {
    fake.reset();
    const taskId = `jigsaw-refetch-${Date.now()}`;
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    fake.willAnswer({ kind: 'url', failFetches: 1, failStatus: 503 });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const result = await stack.refinements.result(taskId);

    expect(fake.requests).toHaveLength(1);
    expect([...fake.hostedFetches.values()]).toEqual([2]);
    expect(fs.existsSync(result.imagePath)).toBe(true);
  });

  test("a hosted result that cannot be fetched fails saying the URL came from the provider", async () => {
    fake.reset();
    const taskId = `jigsaw-gone-${Date.now()}`;
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
    fake.willAnswer({ kind: 'url', failFetches: 100, failStatus: 404 });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const err = await outcome(stack.refinements.result(taskId));
    expect(err.failureType).toBe('InvalidProviderResponseError');
    expect(err.message).toMatch(/fetching the image URL jigsawstack answered with failed: .*HTTP 404/);
    expect(fake.requests).toHaveLength(1);
  });
});
