/**
 * The fal.ai queue provider against a fake fal queue: one submission, the checkpoint recorded before
 * the first poll, queue places reported as they change, the hosted result, resuming without paying
 * again, cancels forwarded (and not on a shutdown), and every failure typed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { CancelledFailure } from '@temporalio/common';
import type { ProviderCheckpoint, RefineRequest } from '../../src/adapters/concept-service/concept-service';
import { FalQueueProvider } from '../../src/adapters/concept-service/fal-queue-provider';
import type { ProviderHttpSettings } from '../../src/adapters/concept-service/provider-http';
import { loadConfig } from '../../src/config';
import { InvalidProviderResponseError, PromptRejectedError, ProviderUnavailableError, RefineryError } from '../../src/errors';
import type { ProviderWaiting } from '../../src/workflows/types';
import { FakeFalQueue } from '../harness/fake-fal-queue';
import { FAKE_TINT } from '../harness/fake-provider';
import { conceptPng } from '../harness/images';

const KEY = '5b1c0a6e-7d2f-4c1a-9e3b-1f2a3b4c5d6e:0123456789abcdef0123456789abcdef';
const HTTP: ProviderHttpSettings = { connectTimeoutMs: 2_000, headersTimeoutMs: 10_000, timeoutMs: 10_000, maxResponseBytes: 5 * 1024 * 1024, maxPixels: 10_000_000 };
const POLL_MS = 30;

let fake: FakeFalQueue;
let provider: FalQueueProvider;
let original: Buffer;
let workDir: string;

beforeAll(async () => {
  [fake, original, workDir] = await Promise.all([FakeFalQueue.start(KEY), conceptPng(), fs.mkdtemp(path.join(os.tmpdir(), 'fal-test-'))]);
  await fs.writeFile(path.join(workDir, 'original'), original);
  provider = new FalQueueProvider({ apiKey: KEY, baseUrl: fake.origin, model: 'fal-ai/flux-pro/kontext', pollIntervalMs: POLL_MS, http: HTTP });
});
afterAll(async () => {
  await fake?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

interface Recorded {
  request: RefineRequest;
  checkpoints: ProviderCheckpoint[];
  waits: ProviderWaiting[];
}

function refineRequest(overrides: Partial<RefineRequest> = {}): Recorded {
  const recorded: Recorded = { checkpoints: [], waits: [], request: undefined as unknown as RefineRequest };
  recorded.request = {
    taskId: 'task-fal',
    image: { path: path.join(workDir, 'original'), contentType: 'image/png' },
    workDir,
    originalImageUrl: 'upload:task-fal',
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
    preserveAspects: [],
    signal: new AbortController().signal,
    heartbeat: () => undefined,
    checkpoint: (c) => void recorded.checkpoints.push(c),
    reportWaiting: (w) => void recorded.waits.push(w),
    ...overrides,
  };
  return recorded;
}

async function failureOf(promise: Promise<unknown>): Promise<RefineryError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof RefineryError)) throw new Error(`expected a RefineryError, got ${String(err)}`);
  return err;
}

async function rawPixels(png: Buffer): Promise<Buffer> {
  return sharp(png).removeAlpha().raw().toBuffer();
}

test('submits once, checkpoints before polling, reports each new queue place, and answers the hosted image', async () => {
  fake.willRun({ queue: [3, 2, 2, 1], inProgressPolls: 2 });
  const { request, checkpoints, waits } = refineRequest();
  const result = await provider.refine(request);

  expect(fake.submissions()).toHaveLength(1);
  const [job] = fake.jobs.values();
  expect(fake.submissions()[0].authorization).toBe(`Key ${KEY}`);
  expect(job.input.prompt).toContain('Requested change: Make it more autumn-themed with orange and red');
  expect(job.original?.equals(original)).toBe(true);
  expect(String(job.input.image_url)).toMatch(/^data:image\/png;base64,/);

  // Recorded once, before any status poll, with everything another process needs and no key.
  expect(checkpoints).toEqual([{ provider: 'fal', requestId: job.id, ...urlsOf(job.id) }]);
  expect(JSON.stringify(checkpoints)).not.toContain(KEY);
  const firstPoll = fake.callsOf('status')[0];
  expect(firstPoll.at).toBeGreaterThanOrEqual(fake.submissions()[0].at);

  // One report per change, not per poll (position 2 was answered twice).
  expect(waits).toEqual([
    { queuePosition: 3, providerStatus: 'IN_QUEUE' },
    { queuePosition: 2, providerStatus: 'IN_QUEUE' },
    { queuePosition: 1, providerStatus: 'IN_QUEUE' },
    { queuePosition: 0, providerStatus: 'IN_PROGRESS' },
  ]);
  expect(fake.callsOf('status')).toHaveLength(7);
  expect(fake.callsOf('result')).toHaveLength(1);

  if (result.kind !== 'url') throw new Error(`expected a hosted URL, got ${result.kind}`);
  expect(result.url).toBe(`${fake.origin}${job.resultPath}`);
  expect(result.notes).toEqual(['refined by fal-ai/flux-pro/kontext through the fal.ai queue']);
  // The hosted image is the original tinted: its pixels are the tint's, and not the original's.
  const hosted = Buffer.from(await (await fetch(result.url)).arrayBuffer());
  const [got, expected, before] = await Promise.all([rawPixels(hosted), rawPixels(await sharp(original).tint(FAKE_TINT).png().toBuffer()), rawPixels(original)]);
  expect(got.equals(expected)).toBe(true);
  expect(got.equals(before)).toBe(false);
});

test('polls at the configured interval', async () => {
  fake.willRun({ inProgressPolls: 5 });
  const started = Date.now();
  await provider.refine(refineRequest().request);
  // Six polls, five pauses between them.
  expect(fake.callsOf('status')).toHaveLength(6);
  expect(Date.now() - started).toBeGreaterThanOrEqual(5 * POLL_MS);
});

test('a later attempt resumes from the checkpoint: no second submission, the same request completes', async () => {
  fake.willRun({ queue: [2, 1], hold: true });
  const controller = new AbortController();
  const first = refineRequest({ signal: controller.signal });
  const pending = provider.refine(first.request);
  await fake.waitFor(() => fake.callsOf('status').length >= 3, 'three status polls');
  // The worker shuts down: the attempt ends, the request stays at fal for the next attempt.
  const shutdown = new CancelledFailure('WORKER_SHUTDOWN');
  controller.abort(shutdown);
  await expect(pending).rejects.toBe(shutdown);
  expect(fake.callsOf('cancel')).toHaveLength(0);

  fake.release();
  const second = refineRequest({ resumeFrom: first.checkpoints[0] });
  const result = await provider.refine(second.request);
  expect(fake.submissions()).toHaveLength(1);
  expect(second.checkpoints).toEqual([]);
  expect(result.kind).toBe('url');
  expect(result.notes).toContain(`resumed fal request ${first.checkpoints[0].requestId} after an interrupted attempt, without submitting it again`);
  expect(fake.callsOf('result').map((c) => c.requestId)).toEqual([first.checkpoints[0].requestId]);
});

test("another provider's checkpoint, or one on another origin, is not resumed: the request is submitted", async () => {
  const foreign = { provider: 'fal', requestId: 'r1', statusUrl: 'https://elsewhere.example/s', responseUrl: 'https://elsewhere.example/r', cancelUrl: 'https://elsewhere.example/c' };
  await provider.refine(refineRequest({ resumeFrom: foreign }).request);
  await provider.refine(refineRequest({ resumeFrom: { provider: 'replicate', requestId: 'r2' } }).request);
  expect(fake.submissions()).toHaveLength(2);
  expect(fake.calls.every((c) => !c.path.includes('elsewhere'))).toBe(true);
});

test('a cancel of the refinement is forwarded to fal (PUT cancel_url) and the abort rethrown', async () => {
  fake.willRun({ queue: [4, 3], hold: true });
  const controller = new AbortController();
  const { request, checkpoints } = refineRequest({ signal: controller.signal });
  const pending = provider.refine(request);
  await fake.waitFor(() => fake.callsOf('status').length >= 2, 'two status polls');
  const reason = new CancelledFailure('CANCELLED');
  controller.abort(reason);
  await expect(pending).rejects.toBe(reason);
  const cancels = fake.callsOf('cancel');
  expect(cancels).toHaveLength(1);
  expect(cancels[0]).toMatchObject({ method: 'PUT', requestId: checkpoints[0].requestId, status: 202, authorization: `Key ${KEY}` });
  expect(fake.jobs.get(checkpoints[0].requestId)?.cancelled).toBe(true);
});

test('a cancel that fal cannot reach is bounded and does not hide the abort', async () => {
  const deadFal = new FalQueueProvider({ apiKey: KEY, baseUrl: fake.origin, model: 'fal-ai/flux-pro/kontext', pollIntervalMs: 10_000, http: HTTP });
  fake.willRun({ queue: [1], hold: true });
  const controller = new AbortController();
  const { request } = refineRequest({ signal: controller.signal });
  const pending = deadFal.refine(request);
  await fake.waitFor(() => fake.callsOf('status').length >= 1, 'a status poll');
  await fake.close();
  const reason = new Error('refinement cancelled');
  const asked = Date.now();
  controller.abort(reason);
  await expect(pending).rejects.toBe(reason);
  expect(Date.now() - asked).toBeLessThan(6_000);
  fake = await FakeFalQueue.start(KEY);
  provider = new FalQueueProvider({ apiKey: KEY, baseUrl: fake.origin, model: 'fal-ai/flux-pro/kontext', pollIntervalMs: POLL_MS, http: HTTP });
});

test('an image withheld by the safety checker is a final PromptRejectedError', async () => {
  fake.willRun({ outcome: 'flagged' });
  const err = await failureOf(provider.refine(refineRequest().request));
  expect(err).toBeInstanceOf(PromptRejectedError);
  expect(err.retryable).toBe(false);
  expect(err.message).toContain('blocked by its safety checker');
});

test('a request that failed at the model is final (a retry would resume the same failure)', async () => {
  fake.willRun({ inProgressPolls: 1, outcome: 'failed' });
  const err = await failureOf(provider.refine(refineRequest().request));
  expect(err).toBeInstanceOf(InvalidProviderResponseError);
  expect(err.message).toMatch(/fal request req-\S+ failed: Model runner failed/);
});

test('429 on submission: retryable after Retry-After, nothing checkpointed', async () => {
  fake.willRefuseSubmission({ status: 429, body: { detail: 'Rate limit exceeded' }, headers: { 'retry-after': '4' } });
  const { request, checkpoints } = refineRequest();
  const err = await failureOf(provider.refine(request));
  expect(err).toBeInstanceOf(ProviderUnavailableError);
  expect(err.retryAfterMs).toBe(4_000);
  expect(err.message).toContain('HTTP 429: Rate limit exceeded');
  expect(checkpoints).toEqual([]);
});

test('a status poll that fails transiently is retryable, and the retry resumes the request', async () => {
  fake.willRun({ inProgressPolls: 2 }).willFailStatusPolls(0, 503);
  const first = refineRequest();
  // The first poll is answered, the second is a 503.
  const err = await failureOf(provider.refine(first.request));
  expect(err).toBeInstanceOf(ProviderUnavailableError);
  expect(first.checkpoints).toHaveLength(1);
  const result = await provider.refine(refineRequest({ resumeFrom: first.checkpoints[0] }).request);
  expect(result.kind).toBe('url');
  expect(fake.submissions()).toHaveLength(1);
});

test.each([
  ['no request_id', { status: 'IN_QUEUE' }, /without a request_id/],
  ['a status URL on another origin', { request_id: 'x', status_url: 'https://evil.example/status', response_url: 'https://evil.example/r', cancel_url: 'https://evil.example/c' }, /status_url that is not on its API's origin/],
  ['an HTML page', '<html>hello</html>', /text\/html content that is not JSON/],
])('a submission answered with %s is an InvalidProviderResponseError', async (_name, body, message) => {
  fake.willRefuseSubmission({ status: 200, body });
  const err = await failureOf(provider.refine(refineRequest().request));
  expect(err).toBeInstanceOf(InvalidProviderResponseError);
  expect(err.message).toMatch(message);
  expect(fake.calls.every((c) => !c.path.includes('evil'))).toBe(true);
});

test('a wrong key is a final rejection that never repeats the key', async () => {
  const wrongKey = '00000000-0000-0000-0000-000000000000:ffffffffffffffffffffffffffffffff';
  const wrong = new FalQueueProvider({ apiKey: wrongKey, baseUrl: fake.origin, model: 'fal-ai/flux-pro/kontext', pollIntervalMs: POLL_MS, http: HTTP });
  const err = await failureOf(wrong.refine(refineRequest().request));
  expect(err).toBeInstanceOf(PromptRejectedError);
  expect(err.message).toContain('HTTP 401');
  expect(err.message).not.toContain(wrongKey);
});

test('configuration: CONCEPT_PROVIDER=fal needs FAL_KEY; model, base URL and poll interval are read', () => {
  const base = { TEMPORAL_ADDRESS: '127.0.0.1:7233', CONCEPT_PROVIDER: 'fal' };
  expect(() => loadConfig(base)).toThrow(/FAL_KEY is required when CONCEPT_PROVIDER=fal/);
  expect(loadConfig({ ...base, FAL_KEY: KEY }).conceptProvider).toEqual({
    kind: 'fal',
    apiKey: KEY,
    baseUrl: 'https://queue.fal.run',
    model: 'fal-ai/flux-pro/kontext',
    pollIntervalMs: 1_000,
  });
  expect(loadConfig({ ...base, FAL_KEY: KEY, PROVIDER_QUEUE_POLL_INTERVAL_MS: '250', FAL_MODEL: 'fal-ai/nano-banana/edit' }).conceptProvider).toMatchObject({
    pollIntervalMs: 250,
    model: 'fal-ai/nano-banana/edit',
  });
  expect(() => loadConfig({ ...base, FAL_KEY: KEY, PROVIDER_QUEUE_POLL_INTERVAL_MS: '0' })).toThrow(/PROVIDER_QUEUE_POLL_INTERVAL_MS/);
  expect(() => loadConfig({ ...base, FAL_KEY: KEY, FAL_MODEL: 'no-slash' })).toThrow(/FAL_MODEL/);
});

function urlsOf(id: string) {
  const base = `${fake.origin}/fal-ai/flux-pro/requests/${id}`;
  return { statusUrl: `${base}/status`, responseUrl: base, cancelUrl: `${base}/cancel` };
}
