/**
 * Crash survival: the worker process is SIGKILLed while a stage is in flight (its work done but not yet
 * reported, the hardest moment), a new worker process takes over, and the refinement completes with
 * the earlier stages not run again and nothing stored twice.
 */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';

const STAGES = ['downloadOriginalImage', 'refineConceptImage', 'storeRefinedImage', 'storeRefinedConcept'] as const;

describe.each(temporalServers())('on the $name', ({ kind, address }) => {
  let stack: TestStack;
  let images: ImageServer;
  let originalImageUrl: string;

  beforeAll(async () => {
    [stack, images] = await Promise.all([TestStack.create({ database: 'postgres', temporalAddress: address }), ImageServer.start()]);
    originalImageUrl = images.serve('/crash.png', { body: await conceptPng() });
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
  });

  test.each(STAGES.map((stage, index) => [stage, index] as const))(
    'a worker killed during %s: a new worker completes the refinement',
    async (stage, index) => {
      const taskId = `crash-${kind}-${stage}-${Date.now()}`;
      const doomed = await stack.startWorker({ hold: { activity: stage, when: 'after' } });
      await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
      await stack.waitUntilHeld(stage, taskId);
      await doomed.stop('SIGKILL');

      await stack.startWorker();
      const result = await stack.refinements.result(taskId);

      STAGES.slice(0, index).forEach((earlier) => expect([earlier, stack.starts(earlier, taskId)]).toEqual([earlier, 1]));
      expect(stack.starts(stage, taskId)).toBe(2); // the killed attempt, then its retry
      expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
      expect((await stack.concepts.findByTaskId(taskId))?.id).toBe(result.conceptId);
      expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([
        `refined/user-123/${taskId}.png`,
        `refined/user-123/${taskId}.png.meta.json`,
      ]);
      await Promise.all(stack.workers.map((w) => w.stop()));
    },
  );

  test('SIGTERM: the worker stops within its grace time and the cancelled attempt is retried elsewhere', async () => {
    const taskId = `sigterm-${kind}-${Date.now()}`;
    // Held until cancelled: only the shutdown can end this attempt.
    const leaving = await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before' } });
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.waitUntilHeld('refineConceptImage', taskId);

    const asked = Date.now();
    const exitCode = await leaving.stop('SIGTERM');
    const took = Date.now() - asked;
    expect(exitCode).toBe(0);
    // The stack's grace time is 2 s; the SDK's force time adds 5 s at most.
    expect(took).toBeLessThan(2_000 + 5_000 + 2_000);

    await stack.startWorker();
    const result = await stack.refinements.result(taskId);
    expect(result.taskId).toBe(taskId);
    expect(stack.starts('downloadOriginalImage', taskId)).toBe(1);
    expect(stack.starts('refineConceptImage', taskId)).toBe(2);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
    await Promise.all(stack.workers.map((w) => w.stop()));
  });
});
