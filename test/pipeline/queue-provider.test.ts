/**
 * A refinement through a queue provider (fal.ai, played by its fake) in real worker processes: the
 * queue place reaches the progress query while the request waits; a worker SIGKILLed while the
 * request is pending is replaced by one that resumes the same request (one submission, paid once)
 * and completes with its image; a worker shut down mid-wait leaves the request to the next one; a
 * Refinery cancel during the wait is forwarded to fal.
 */
import fs from 'node:fs';
import sharp from 'sharp';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RefinementUnsuccessfulError } from '../../src/client/refinements';
import { eventually } from '../harness/expectations';
import { FakeFalQueue } from '../harness/fake-fal-queue';
import { FAKE_TINT } from '../harness/fake-provider';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';

const FAL_KEY = '7e0c1d2a-3b4c-4d5e-8f90-a1b2c3d4e5f6:00112233445566778899aabbccddeeff';

let stack: TestStack;
let fake: FakeFalQueue;
let images: ImageServer;
let original: Buffer;

beforeAll(async () => {
  [fake, images, original] = await Promise.all([FakeFalQueue.start(FAL_KEY), ImageServer.start(), conceptPng()]);
  stack = await TestStack.create({
    database: 'sqlite',
    env: { CONCEPT_PROVIDER: 'fal', FAL_QUEUE_BASE_URL: fake.origin, FAL_KEY, PROVIDER_QUEUE_POLL_INTERVAL_MS: '100' },
  });
});
afterAll(async () => {
  await stack?.close();
  await fake?.close();
  await images?.close();
});
beforeEach(() => fake.reset());
afterEach(() => Promise.all(stack.workers.map((w) => w.stop())));

/** The refine attempt's checkpoint as the server holds it (the last heartbeat's details), once it is there. */
async function checkpointOnServer(taskId: string): Promise<{ requestId: string }> {
  return eventually(async () => {
    const { raw } = await stack.refinements.handle(taskId).describe();
    const payload = raw.pendingActivities?.find((a) => a.activityType?.name === 'refineConceptImage')?.heartbeatDetails?.payloads?.[0];
    const details = payload ? (defaultPayloadConverter.fromPayload(payload) as { checkpoint?: { requestId: string } }) : undefined;
    return details?.checkpoint;
  }, 15_000, 'the checkpoint in the heartbeat details');
}

test('a worker killed while fal holds the request: the next worker resumes it, one submission, and the refinement completes with its image', async () => {
  const taskId = `fal-crash-${Date.now()}`;
  const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
  fake.willRun({ queue: [4, 3, 2], hold: true });
  const doomed = await stack.startWorker();
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));

  // The place in fal's queue reaches the progress query while the request waits.
  const seen = new Set<string>();
  await eventually(async () => {
    const { providerQueue } = await stack.refinements.progress(taskId);
    if (providerQueue) seen.add(`${providerQueue.providerStatus} ${providerQueue.queuePosition}`);
    return providerQueue?.queuePosition === 2 ? true : undefined;
  }, 20_000, 'queue position 2 in the progress');
  expect(seen).toContain('IN_QUEUE 2');
  expect((await stack.refinements.progress(taskId)).currentStage).toBe('refine');

  const checkpoint = await checkpointOnServer(taskId);
  const [job] = fake.jobs.values();
  expect(checkpoint.requestId).toBe(job.id);
  await doomed.stop('SIGKILL');
  const killedAt = Date.now();
  fake.release();

  await stack.startWorker();
  const result = await stack.refinements.result(taskId);

  expect(fake.submissions()).toHaveLength(1);
  // The result was asked for, and its image fetched, only after the restart, by the new worker.
  const afterKill = fake.calls.filter((c) => c.at >= killedAt).map((c) => c.kind);
  expect(afterKill).toContain('status');
  expect(fake.callsOf('result').length).toBeGreaterThanOrEqual(1);
  expect(fake.callsOf('result').every((c) => c.at >= killedAt)).toBe(true);
  console.log(`fal request resumed: first poll by the new worker ${fake.calls.find((c) => c.kind === 'status' && c.at >= killedAt)!.at - killedAt} ms after the kill`);
  expect(fake.callsOf('file').every((c) => c.at >= killedAt && c.authorization === undefined)).toBe(true);
  expect(stack.starts('refineConceptImage', taskId)).toBe(2);

  // The stored image is fal's: the original tinted, pixel for pixel.
  const stored = fs.readFileSync(result.imagePath);
  const [got, expected] = await Promise.all([
    sharp(stored).removeAlpha().raw().toBuffer(),
    sharp(await sharp(original).tint(FAKE_TINT).png().toBuffer()).removeAlpha().raw().toBuffer(),
  ]);
  expect(got.equals(expected)).toBe(true);

  const progress = await stack.refinements.progress(taskId);
  expect(progress.status).toBe('completed');
  expect(progress.providerQueue).toBeNull();
  expect(progress.notes).toContain(`resumed fal request ${job.id} after an interrupted attempt, without submitting it again`);
  expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
});

test('a worker shut down (SIGTERM) while fal holds the request does not cancel it: the next worker resumes it', async () => {
  const taskId = `fal-sigterm-${Date.now()}`;
  const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
  fake.willRun({ queue: [2, 1], hold: true });
  const leaving = await stack.startWorker();
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
  await checkpointOnServer(taskId);
  expect(await leaving.stop('SIGTERM')).toBe(0);
  // The attempt was aborted by the shutdown, and fal was not asked to cancel: the request is paid for.
  expect(fake.callsOf('cancel')).toHaveLength(0);
  fake.release();

  await stack.startWorker();
  const result = await stack.refinements.result(taskId);
  expect(result.taskId).toBe(taskId);
  expect(fake.submissions()).toHaveLength(1);
  expect(fake.callsOf('cancel')).toHaveLength(0);
  expect(stack.starts('refineConceptImage', taskId)).toBe(2);
});

test('a Refinery cancel while the request waits in the queue is forwarded to fal', async () => {
  const taskId = `fal-cancel-${Date.now()}`;
  const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
  fake.willRun({ queue: [6, 5], hold: true });
  await stack.startWorker();
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
  await fake.waitFor(() => fake.callsOf('status').length >= 3, 'three status polls');

  const asked = Date.now();
  expect(await stack.refinements.cancel(taskId, 'not needed any more')).toBe('cancelling');
  await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ status: 'cancelled' } satisfies Partial<RefinementUnsuccessfulError>);
  console.log(`fal cancel: PUT cancel_url ${fake.callsOf('cancel')[0]?.at - asked} ms after the Refinery cancel (heartbeat timeout 2 s)`);

  const [job] = fake.jobs.values();
  expect(fake.callsOf('cancel')).toEqual([expect.objectContaining({ method: 'PUT', requestId: job.id, status: 202 })]);
  expect(job.cancelled).toBe(true);
  expect(fake.submissions()).toHaveLength(1);
  expect(fake.callsOf('result')).toHaveLength(0);
  expect((await stack.refinements.progress(taskId)).providerQueue).toBeNull();
  expect(await stack.concepts.countByTaskId(taskId)).toBe(0);
});
