/**
 * What following a refinement asks of the Temporal server: while the run is open, one progress query
 * per look and no describe; looks spaced further apart while nothing changes; a completed run's final
 * account from its result (no worker replays it), and a run terminated from outside still reads as
 * failed.
 */
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { RefinementClient } from '../../src/client/refinements';
import type { RefinementProgress } from '../../src/workflows/types';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';

const HOLD_MS = 4_000;

/** A RefinementClient on the stack's connection whose calls to the server are counted. */
function countingClient(stack: TestStack) {
  const calls = { query: 0, describe: 0 };
  const counter: WorkflowClientInterceptor = {
    query: (input, next) => {
      calls.query++;
      return next(input);
    },
    describe: (input, next) => {
      calls.describe++;
      return next(input);
    },
  };
  const client = new Client({
    connection: stack.temporal.connection,
    namespace: stack.temporal.options.namespace,
    dataConverter: stack.temporal.options.dataConverter,
    interceptors: { workflow: [counter] },
  });
  return { calls, refinements: new RefinementClient(client, { taskQueue: stack.config.temporal.taskQueue }) };
}

describe.each(temporalServers())('on the $name', ({ address }) => {
  let images: ImageServer;
  let original: Buffer;
  let stack: TestStack;
  beforeAll(async () => {
    [images, original, stack] = await Promise.all([ImageServer.start(), conceptPng(), TestStack.create({ database: 'sqlite', temporalAddress: address })]);
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before', ms: HOLD_MS } });
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
  });

  test('watching a run: one query per look, no describe, and fewer looks while a stage holds', async () => {
    const originalImageUrl = images.serve('/watched.png', { body: original });
    const taskId = `progress-reads-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const { calls, refinements } = countingClient(stack);
    const read = jest.spyOn(refinements, 'progress');
    const seen: RefinementProgress[] = [];
    const started = Date.now();
    const last = await refinements.watch(taskId, (progress) => seen.push(progress), { intervalMs: 250, maxIntervalMs: 1_000 });
    const elapsed = Date.now() - started;

    expect(last).toMatchObject({ status: 'completed', finishedStages: ['download', 'refine', 'storeImage', 'storeConcept'] });
    // The closed run's whole account, as the run kept it: from its result, not from a replay.
    expect(last.result).toMatchObject({ taskId, conceptId: expect.any(String) });
    expect(last.result).not.toHaveProperty('finalProgress');
    expect(last.outcome).toEqual(expect.objectContaining({ applied: expect.any(Array) }));
    expect(last.stageTimes.storeConcept?.finishedAt).toEqual(expect.any(String));
    expect(seen.map((p) => p.status)).toContain('running');
    // Every look is one query (the last one refused: the run had closed), and nothing else is asked.
    const looks = read.mock.calls.length;
    expect(calls).toEqual({ query: looks, describe: 0 });
    // Looking every 250 ms would be at least elapsed / 250 looks; the hold alone is 16 of them.
    expect(elapsed).toBeGreaterThan(HOLD_MS);
    expect(looks).toBeLessThan(elapsed / 250 / 2);
  }, 60_000);

  test('a run terminated from outside reads as failed, from the server, with its last account', async () => {
    const originalImageUrl = images.serve('/terminated.png', { body: original });
    const taskId = `progress-terminated-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.waitUntilHeld('refineConceptImage', taskId, 30_000);
    await stack.refinements.handle(taskId).terminate('stopped by an operator');
    const { calls, refinements } = countingClient(stack);

    const progress = await refinements.progress(taskId);
    expect(progress).toMatchObject({ status: 'failed', lastFailure: 'the run ended terminated', finishedStages: ['download'], currentStage: 'refine' });
    expect(progress.finishedAt).toEqual(expect.any(String));
    // The open-run query was refused, the closed run was asked, and the server had the last word.
    expect(calls).toEqual({ query: 2, describe: 1 });
  }, 60_000);
});
