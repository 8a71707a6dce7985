/**
 * A cancelled refinement's progress shows only what finished before the cancel was accepted. The
 * worker's refine attempt here does its work, then waits without looking at its cancellation (a
 * refiner busy computing when the cancel comes): it completes after the cancel, and its result is
 * discarded. The refine stage must not read as done, nor its notes and outcome as the run's, nor the
 * next stage as begun. A run left alone shows every stage done and the refiner's outcome.
 */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';

const HOLD_MS = 3_000;

describe.each(temporalServers())('on the $name', ({ address }) => {
  let images: ImageServer;
  let original: Buffer;
  let stack: TestStack;
  beforeAll(async () => {
    [images, original, stack] = await Promise.all([ImageServer.start(), conceptPng(), TestStack.create({ database: 'sqlite', temporalAddress: address })]);
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'after', ms: HOLD_MS, ignoreCancel: true } });
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
  });

  test('a refine that completes after the cancel: not done, no notes or outcome, no later stage begun', async () => {
    const originalImageUrl = images.serve('/late-refine.png', { body: original });
    const taskId = `cancel-late-refine-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl, refinementPrompt: 'make it warmer' }));
    // Held after the refiner's work, which on a busy machine takes a while.
    await stack.waitUntilHeld('refineConceptImage', taskId, 90_000).catch(async (err: Error) => {
      // Say why: the attempts the worker journaled and where the run stands.
      const attempts = stack.journal().filter((e) => e.taskId === taskId);
      throw new Error(`${err.message}; attempts: ${JSON.stringify(attempts)}; progress: ${JSON.stringify(await stack.refinements.progress(taskId))}`);
    });
    expect(await stack.refinements.cancel(taskId, 'no longer needed')).toBe('cancelling');

    await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ status: 'cancelled' });
    // The attempt did finish its work and return it: the point of this test.
    expect(stack.journal().some((e) => e.activity === 'refineConceptImage' && e.taskId === taskId && e.phase === 'end')).toBe(true);
    const progress = await stack.refinements.progress(taskId);
    expect(progress).toMatchObject({
      status: 'cancelled',
      currentStage: null,
      finishedStages: ['download'],
      notes: [],
      outcome: null,
      cancellation: { reason: 'no longer needed', outcome: 'cancelled' },
    });
    expect(progress.stageTimes.refine).toEqual({ startedAt: expect.any(String), finishedAt: null });
    expect(progress.stageTimes.storeImage).toBeUndefined();
    expect(progress.stageTimes.storeConcept).toBeUndefined();
    expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(0);
  }, 150_000);

  test('left alone, the same run shows every stage done and the outcome, in its progress and its result', async () => {
    const originalImageUrl = images.serve('/whole-run.png', { body: original });
    const taskId = `outcome-kept-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl, refinementPrompt: 'make it warmer' }));
    const result = await stack.refinements.result(taskId);
    const progress = await stack.refinements.progress(taskId);
    expect(progress.finishedStages).toEqual(['download', 'refine', 'storeImage', 'storeConcept']);
    expect(progress.outcome).toEqual({ status: expect.stringMatching(/^(applied|partly-applied)$/), applied: expect.any(Array), notApplied: expect.any(Array) });
    expect(progress.outcome!.applied.length).toBeGreaterThan(0);
    expect(result.outcome).toEqual(progress.outcome);
    // The concept row keeps it too.
    expect((await stack.concepts.findByTaskId(taskId))?.outcome).toEqual(progress.outcome);
  }, 150_000);
});
