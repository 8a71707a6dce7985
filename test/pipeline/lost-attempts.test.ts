/**
 * Activity attempts lost on a killed worker: the server still thinks the
 * attempt runs until its heartbeat timeout. A cancel accepted meanwhile must still end the run
 * Cancelled with its reason, and a lost cleanup attempt must not hold a finished refinement for the
 * cleanup's whole start-to-close timeout. With RECORD_HISTORIES=1 the cancelled run's history is
 * written to test/pipeline/histories for the replay test.
 */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { FAST_POLICIES, TestStack } from '../harness/stack';
import { recordHistory } from '../harness/histories';

let images: ImageServer;
let originalImageUrl: string;

beforeAll(async () => {
  images = await ImageServer.start();
  originalImageUrl = images.serve('/lost.png', { body: await conceptPng() });
});
afterAll(() => images?.close());

describe('a cancel accepted while the running attempt is lost', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // A heartbeat timeout long enough that the cancel surely lands while the attempt is lost.
    stack = await TestStack.create({
      database: 'postgres',
      stagePolicies: { ...FAST_POLICIES, download: { ...FAST_POLICIES.download, heartbeatTimeout: '20s' } },
    });
  });
  afterAll(() => stack?.close());

  test('ends Cancelled with its reason, not Failed with a heartbeat timeout', async () => {
    const taskId = `lost-cancel-${Date.now()}`;
    const doomed = await stack.startWorker({ hold: { activity: 'downloadOriginalImage', when: 'before' } });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.waitUntilHeld('downloadOriginalImage', taskId);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();

    await stack.startWorker();
    expect(await stack.refinements.cancel(taskId, 'no longer needed')).toBe('cancelling');
    // The cancel was accepted while the server still counted the lost attempt as running.
    expect(Date.now() - killedAt).toBeLessThan(20_000);

    await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ status: 'cancelled' });
    const description = await stack.refinements.handle(taskId).describe();
    expect(description.status.name).toBe('CANCELLED');
    const progress = await stack.refinements.progress(taskId);
    expect(progress).toMatchObject({ status: 'cancelled', cancellation: { reason: 'no longer needed', outcome: 'cancelled' } });
    expect(description.memo?.cancellationReason).toBe('no longer needed');
    expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);

    if (process.env.RECORD_HISTORIES) recordHistory('cancelled-lost-attempt', await stack.refinements.handle(taskId).fetchHistory());
    await Promise.all(stack.workers.map((w) => w.stop()));
  });
});

describe('a lost cleanup attempt', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
  });
  afterAll(() => stack?.close());

  test('is retried after its heartbeat timeout, not after a minute', async () => {
    const taskId = `lost-cleanup-${Date.now()}`;
    const doomed = await stack.startWorker({ hold: { activity: 'discardArtifacts', when: 'before' } });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.waitUntilHeld('discardArtifacts', taskId, 60_000);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();

    await stack.startWorker();
    const result = await stack.refinements.result(taskId);
    const took = Date.now() - killedAt;
    // The test policies' heartbeat timeout is 2 s; the old start-to-close timeout was 60 s.
    expect(took).toBeLessThan(30_000);
    expect(result.taskId).toBe(taskId);
    expect(stack.starts('discardArtifacts', taskId)).toBe(2);
    expect(stack.storedFiles().filter((f) => f.startsWith('staging/'))).toEqual([]);
    console.log(`lost cleanup attempt: refinement finished ${took} ms after the worker was killed`);
    await Promise.all(stack.workers.map((w) => w.stop()));
  });
});
