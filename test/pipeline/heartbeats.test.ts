/**
 * One heartbeat per attempt: an attempt waiting on a slow provider call stays alive past several
 * heartbeat timeouts, while its calls into the SDK stay at about two per heartbeat timeout
 * (src/activities/attempt-heartbeat.ts), counted by the test worker at the context's heartbeat
 * function. The provider call had a timer of its own before, every second, beside the stage's.
 */
import { HEARTBEATS_PER_TIMEOUT } from '../../src/activities/attempt-heartbeat';
import { FakeOpenAiImages } from '../harness/fake-openai-images';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { FAST_POLICIES, TestStack } from '../harness/stack';

const HEARTBEAT_TIMEOUT_MS = 3_000;
const CALL_MS = 10_000;

let images: ImageServer;
let original: Buffer;
let fake: FakeOpenAiImages;
let stack: TestStack;

beforeAll(async () => {
  [images, original, fake] = await Promise.all([ImageServer.start(), conceptPng(), FakeOpenAiImages.start()]);
  stack = await TestStack.create({
    database: 'sqlite',
    stagePolicies: { ...FAST_POLICIES, refine: { ...FAST_POLICIES.refine, heartbeatTimeout: `${HEARTBEAT_TIMEOUT_MS}ms` } },
    env: { CONCEPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.origin, OPENAI_API_KEY: 'sk-test-heartbeats-0123456789', PROVIDER_TIMEOUT_MS: '60000' },
  });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
  await fake?.close();
  await images?.close();
});

test('a provider call longer than three heartbeat timeouts: one attempt, about two SDK heartbeats per timeout', async () => {
  const taskId = `heartbeats-${Date.now()}`;
  const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
  fake.willAnswer({ kind: 'slow', ms: CALL_MS });
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
  await stack.refinements.result(taskId);

  // Alive all along: the server never timed the attempt out, so the provider was asked once.
  expect(fake.requests).toHaveLength(1);
  const attempts = stack.journal().filter((e) => e.activity === 'refineConceptImage' && e.taskId === taskId && e.phase !== 'start');
  expect(attempts).toHaveLength(1);
  const [{ phase, heartbeats, ms }] = attempts;
  expect(phase).toBe('end');
  const interval = HEARTBEAT_TIMEOUT_MS / HEARTBEATS_PER_TIMEOUT;
  console.log(`refine attempt of ${ms} ms (heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms): ${heartbeats} calls into the SDK's heartbeat`);
  expect(ms).toBeGreaterThanOrEqual(CALL_MS);
  // One per interval, and no more: the provider's own timer (one a second) would double this.
  expect(heartbeats).toBeLessThanOrEqual(Math.floor(ms! / interval) + 1);
  // Enough that the SDK has one pending whenever its throttle (0.8 x timeout) ends.
  expect(heartbeats).toBeGreaterThanOrEqual(Math.floor(ms! / (0.8 * HEARTBEAT_TIMEOUT_MS)));
});
