/**
 * Transient failures retry and the refinement completes; permanent ones fail at once with their type,
 * a message naming the task, and nothing left behind.
 */
import fs from 'node:fs';
import { InvalidRefinementInputError } from '../../src/errors';
import { workflowIdFor } from '../../src/workflows/messages';
import { failureOf, eventually } from '../harness/expectations';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { FAST_POLICIES, TestStack } from '../harness/stack';

const ACTIVITIES = ['downloadOriginalImage', 'refineConceptImage', 'storeRefinedImage', 'storeRefinedConcept'];

let images: ImageServer;
let original: Buffer;
beforeAll(async () => {
  [images, original] = await Promise.all([ImageServer.start(), conceptPng()]);
});
afterAll(() => images?.close());

describe('transient failures', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.create({
      database: 'postgres',
      stagePolicies: { ...FAST_POLICIES, refine: { ...FAST_POLICIES.refine, initialInterval: '2s', maximumInterval: '2s' } },
    });
    // Each adapter fails its first call the way a briefly unavailable dependency does.
    await stack.startWorker({ faults: { refine: 1, publish: 1, storeConcept: 1 } });
  });
  afterAll(() => stack?.close());

  test('every stage fails once, is retried, and the refinement completes with one row', async () => {
    const path = '/flaky.png';
    const originalImageUrl = images.serve(path, { body: original, failTimes: 1 }); // one 503 first
    const taskId = `transient-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));

    // The refine stage waits 2 s before its retry: the progress query shows the failed attempt meanwhile.
    const during = await eventually(async () => {
      const p = await stack.refinements.progress(taskId);
      return p.currentStage === 'refine' && p.lastFailure ? p : undefined;
    });
    expect(during.lastFailure).toContain(`task ${taskId}, refine: concept service answered 503 (injected)`);
    const retried = await eventually(async () => {
      const p = await stack.refinements.progress(taskId);
      return p.currentStage !== 'refine' || p.attempt === 2 ? p : undefined;
    });
    expect(retried.finishedStages.includes('refine') || retried.attempt === 2).toBe(true);

    const result = await stack.refinements.result(taskId);
    expect(images.hits(path)).toBe(2);
    for (const activity of ACTIVITIES) expect(stack.starts(activity, taskId)).toBe(2);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
    expect((await stack.concepts.findByTaskId(taskId))?.id).toBe(result.conceptId);
  });
});

describe('a host that trickles its answer past the download deadline', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.create({ database: 'sqlite', env: { DOWNLOAD_TOTAL_TIMEOUT_MS: '1500' } });
    await stack.startWorker();
  });
  afterAll(() => stack?.close());

  test('fails at once as DownloadTooSlowError: the host, not the network, is at fault, so no retry holds a slot again', async () => {
    const taskId = `trickle-${Date.now()}`;
    const originalImageUrl = images.serve(`/${taskId}.png`, { body: original, trickle: { chunkBytes: 1, everyMs: 100 } });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const failure = await failureOf(stack.refinements, taskId);
    expect(failure.failureType).toBe('DownloadTooSlowError');
    expect(failure.message).toMatch(/still arriving after the 1500 ms deadline/);
    expect(stack.starts('downloadOriginalImage', taskId)).toBe(1);
    expect(images.hits(`/${taskId}.png`)).toBe(1);
  });
});

describe('permanent failures', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres', env: { DOWNLOAD_MAX_BYTES: String(64 * 1024) } });
    await stack.startWorker();
  });
  afterAll(() => stack?.close());

  const cases: Array<[string, () => string, string]> = [
    ['a body that is not an image', () => images.serve('/page.html', { body: Buffer.from('<html>hi</html>'), contentType: 'text/html' }), 'NotAnImageError'],
    ['a missing image (404)', () => `${images.origin}/missing.png`, 'ImageUnavailableError'],
    ['an image over the size cap', () => images.serve('/huge.png', { body: Buffer.alloc(200 * 1024, 1) }), 'ImageTooLargeError'],
    ['a non-http scheme', () => 'ftp://example.com/a.png', 'InvalidRefinementInputError'],
  ];

  test.each(cases)('%s fails at once with its type and leaves nothing behind', async (_name, url, type) => {
    const taskId = `permanent-${type}-${Date.now()}`;
    const originalImageUrl = url();
    if (type === 'InvalidRefinementInputError') {
      // The client refuses before any workflow exists...
      await expect(stack.refinements.start(stack.request({ taskId, originalImageUrl }))).rejects.toBeInstanceOf(InvalidRefinementInputError);
      // ...and the workflow refuses the same input when started some other way.
      await stack.temporal.workflow.start('refineConcept', {
        taskQueue: stack.config.temporal.taskQueue,
        workflowId: workflowIdFor(taskId),
        args: [{ ...stack.request({ originalImageUrl }), taskId }],
      });
    } else {
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    }
    const started = Date.now();
    const failure = await failureOf(stack.refinements, taskId);
    expect(Date.now() - started).toBeLessThan(5_000); // no retries with backoff
    expect(failure.status).toBe('failed');
    expect(failure.failureType).toBe(type);
    expect(failure.message).toContain(`task ${taskId}`);
    expect(stack.starts('downloadOriginalImage', taskId)).toBeLessThanOrEqual(1);
    expect(stack.starts('refineConceptImage', taskId)).toBe(0);
    expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(0);
    const progress = await stack.refinements.progress(taskId);
    expect(progress.status).toBe('failed');
  });
});

describe('uploaded originals', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.create({ database: 'sqlite' });
    await stack.startWorker();
  });
  afterAll(() => stack?.close());

  test("a refinement may read only its own upload, not another task's blobs", async () => {
    const victim = `victim-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId: victim, originalImageUrl: images.serve('/victim.png', { body: original }) }));
    await stack.refinements.result(victim);
    const taskId = `thief-${Date.now()}`;
    await stack.refinements.start(
      stack.request({ taskId, originalImageUrl: 'https://example.com/x.png', uploadedImageKey: `refined/user-123/${victim}.png` }),
    );
    const failure = await failureOf(stack.refinements, taskId);
    expect(failure.failureType).toBe('InvalidRefinementInputError');
    expect(failure.message).toContain(`uploads/${taskId}/original`);
    expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);
    expect(stack.storedFiles()).toContain(`refined/user-123/${victim}.png`); // the cleanup took nothing of the victim's
  });
});

describe('address checks on a stack that keeps them on', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.create({ database: 'sqlite', env: { ALLOW_PRIVATE_IMAGE_HOSTS: 'false' } });
    await stack.startWorker();
  });
  afterAll(() => stack?.close());

  test('a loopback URL is refused as BlockedAddressError without contacting it', async () => {
    const taskId = `blocked-${Date.now()}`;
    const originalImageUrl = images.serve('/secret.png', { body: original });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const failure = await failureOf(stack.refinements, taskId);
    expect(failure.failureType).toBe('BlockedAddressError');
    expect(failure.message).toContain(`task ${taskId}`);
    expect(images.hits('/secret.png')).toBe(0);
    expect(stack.starts('downloadOriginalImage', taskId)).toBe(1);
  });

  test("a name that resolves to loopback: the user sees the rule, the operator's log the address", async () => {
    const taskId = `blocked-name-${Date.now()}`;
    const originalImageUrl = images.serve('/secret-name.png', { body: original }).replace('127.0.0.1', 'localhost');
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const failure = await failureOf(stack.refinements, taskId);
    expect(failure.failureType).toBe('BlockedAddressError');
    expect(failure.message).toMatch(/refusing to contact localhost: it resolves to an address that is not public/);
    const progress = await stack.refinements.progress(taskId);
    const history = JSON.stringify(await stack.refinements.handle(taskId).fetchHistory(), (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
    );
    for (const seen of [failure.message, progress.lastFailure ?? '', history]) expect(seen).not.toMatch(/127\.0\.0\.1 is|::1 is|loopback range/);
    const logs = stack.workers.map((w) => fs.readFileSync(w.logFile, 'utf8')).join('\n');
    expect(logs).toMatch(/"operatorDetail":"localhost resolved to (127\.0\.0\.1|::1) is in the loopback range"/);
    expect(images.hits('/secret-name.png')).toBe(0);
  });
});
