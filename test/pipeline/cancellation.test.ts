/**
 * Cancellation by signal (what the API sends) and by a server-side request: the running stage stops,
 * nothing the run staged or stored remains, no concept row exists, and the run reads cancelled with the
 * reason, in the client and in Temporal itself. A cancel after the concept was stored changes nothing.
 */
import { ImageServer } from '../harness/image-server';
import { conceptPng, noisyPng } from '../harness/images';
import { eventually } from '../harness/expectations';
import { TestStack } from '../harness/stack';
import { RefinementUnsuccessfulError } from '../../src/client/refinements';
import { temporalServers } from '../harness/temporal-test-server';

async function expectCancelledWithNothingLeft(stack: TestStack, taskId: string, reason: string) {
  await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ status: 'cancelled' } satisfies Partial<RefinementUnsuccessfulError>);
  const description = await stack.refinements.handle(taskId).describe();
  expect(description.status.name).toBe('CANCELLED'); // what the Web UI shows
  expect(description.memo?.cancellationReason).toBe(reason);
  const progress = await stack.refinements.progress(taskId);
  expect(progress).toMatchObject({ status: 'cancelled', cancellation: { reason, outcome: 'cancelled' } });
  expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);
  expect(await stack.concepts.countByTaskId(taskId)).toBe(0);
  expect(stack.starts('storeRefinedConcept', taskId)).toBe(0);
}

// One image server per Temporal server: the tests count its hits and aborted transfers.
describe.each(temporalServers())('on the $name', ({ address }) => {
  let images: ImageServer;
  let original: Buffer;
  beforeAll(async () => {
    [images, original] = await Promise.all([ImageServer.start(), conceptPng()]);
  });
  afterAll(() => images?.close());

  describe('cancel by signal', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await TestStack.create({ database: 'postgres', temporalAddress: address });
    });
    afterAll(() => stack?.close());
    afterEach(() => Promise.all(stack.workers.map((w) => w.stop())));

    test('during the download: the slow transfer is aborted', async () => {
      await stack.startWorker();
      const body = await noisyPng(400 * 1024);
      const originalImageUrl = images.serve('/slow.png', { body, trickle: { chunkBytes: 1024, everyMs: 50 } });
      const taskId = `cancel-download-${Date.now()}`;
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
      await eventually(async () => (images.hits('/slow.png') > 0 ? true : undefined));

      const sent = Date.now();
      expect(await stack.refinements.cancel(taskId, 'changed my mind')).toBe('cancelling');
      await expectCancelledWithNothingLeft(stack, taskId, 'changed my mind');
      expect(Date.now() - sent).toBeLessThan(5_000);
      expect(images.aborted).toBe(1); // the transfer was cut, not finished
    });

    test.each(['refineConceptImage', 'storeRefinedImage'])('during %s', async (activity) => {
      await stack.startWorker({ hold: { activity, when: activity === 'storeRefinedImage' ? 'after' : 'before' } });
      const originalImageUrl = images.serve(`/cancel-${activity}.png`, { body: original });
      const taskId = `cancel-${activity}-${Date.now()}`;
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
      await stack.waitUntilHeld(activity, taskId);
      if (activity === 'storeRefinedImage') {
        // The image is already written when the cancel comes: cleanup must remove it.
        expect(stack.storedFiles().filter((f) => f.startsWith('refined/'))).toContain(`refined/user-123/${taskId}.png`);
      }
      expect(await stack.refinements.cancel(taskId, `stop ${activity}`)).toBe('cancelling');
      await expectCancelledWithNothingLeft(stack, taskId, `stop ${activity}`);
    });

    test('after completion: nothing changes and the client says so', async () => {
      await stack.startWorker();
      const originalImageUrl = images.serve('/done.png', { body: original });
      const taskId = `cancel-late-${Date.now()}`;
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
      const result = await stack.refinements.result(taskId);
      expect(await stack.refinements.cancel(taskId, 'too late')).toBe('too-late');
      expect(await stack.refinements.progress(taskId)).toMatchObject({ status: 'completed', result });
      expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
    });

    test('while the concept is being stored: the signal is recorded as too late and the run completes', async () => {
      await stack.startWorker({ hold: { activity: 'storeRefinedConcept', when: 'before', ms: 1500 } });
      const originalImageUrl = images.serve('/storing.png', { body: original });
      const taskId = `cancel-storing-${Date.now()}`;
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
      await stack.waitUntilHeld('storeRefinedConcept', taskId);
      await stack.refinements.handle(taskId).signal('cancelRefinement', { reason: 'just now' });
      const result = await stack.refinements.result(taskId);
      expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
      const progress = await stack.refinements.progress(taskId);
      expect(progress).toMatchObject({ status: 'completed', result, cancellation: { reason: 'just now', outcome: 'too-late' } });
    });
  });

  describe('cancel requested through the server (handle.cancel())', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await TestStack.create({ database: 'sqlite', temporalAddress: address });
      await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before' } });
    });
    afterAll(() => stack?.close());

    test('behaves like the signal', async () => {
      const originalImageUrl = images.serve('/server-cancel.png', { body: original });
      const taskId = `server-cancel-${Date.now()}`;
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
      await stack.waitUntilHeld('refineConceptImage', taskId);
      await stack.refinements.handle(taskId).cancel();
      await expectCancelledWithNothingLeft(stack, taskId, 'cancel requested through Temporal');
    });
  });
});
