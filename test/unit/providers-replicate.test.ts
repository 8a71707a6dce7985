/** The Replicate provider against a fake predictions API, through the same queue polling as fal. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { CancelledFailure } from '@temporalio/common';
import type { ProviderCheckpoint, RefineRequest } from '../../src/adapters/concept-service/concept-service';
import type { ProviderHttpSettings } from '../../src/adapters/concept-service/provider-http';
import { ReplicateProvider } from '../../src/adapters/concept-service/replicate-provider';
import { loadConfig } from '../../src/config';
import { InvalidProviderResponseError, PromptRejectedError, RefineryError } from '../../src/errors';
import type { ProviderWaiting } from '../../src/workflows/types';
import { FAKE_TINT } from '../harness/fake-provider';
import { FakeReplicate } from '../harness/fake-replicate';
import { conceptPng } from '../harness/images';

const TOKEN = 'r8_TestToken0123456789abcdefghijklmnop';
const HTTP: ProviderHttpSettings = { connectTimeoutMs: 2_000, headersTimeoutMs: 10_000, timeoutMs: 10_000, maxResponseBytes: 5 * 1024 * 1024, maxPixels: 10_000_000 };

let fake: FakeReplicate;
let provider: ReplicateProvider;
let original: Buffer;
let workDir: string;

beforeAll(async () => {
  [fake, original, workDir] = await Promise.all([FakeReplicate.start(TOKEN), conceptPng(), fs.mkdtemp(path.join(os.tmpdir(), 'replicate-test-'))]);
  await fs.writeFile(path.join(workDir, 'original'), original);
  provider = new ReplicateProvider({ apiToken: TOKEN, baseUrl: fake.origin, model: 'black-forest-labs/flux-kontext-pro', imageInput: 'input_image', pollIntervalMs: 20, http: HTTP });
});
afterAll(async () => {
  await fake?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

function refineRequest(overrides: Partial<RefineRequest> = {}) {
  const checkpoints: ProviderCheckpoint[] = [];
  const waits: ProviderWaiting[] = [];
  const request: RefineRequest = {
    taskId: 'task-replicate',
    image: { path: path.join(workDir, 'original'), contentType: 'image/png' },
    workDir,
    originalImageUrl: 'upload:task-replicate',
    refinementPrompt: 'Make it more autumn-themed',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech',
    preserveAspects: [],
    signal: new AbortController().signal,
    heartbeat: () => undefined,
    checkpoint: (c) => void checkpoints.push(c),
    reportWaiting: (w) => void waits.push(w),
    ...overrides,
  };
  return { request, checkpoints, waits };
}

async function failureOf(promise: Promise<unknown>): Promise<RefineryError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof RefineryError)) throw new Error(`expected a RefineryError, got ${String(err)}`);
  return err;
}

test('creates one prediction with the original in the model input, reports starting/processing, and answers the output URL', async () => {
  fake.willRun({ queue: [0, 0], inProgressPolls: 2 });
  const { request, checkpoints, waits } = refineRequest();
  const result = await provider.refine(request);

  expect(fake.submissions()).toHaveLength(1);
  expect(fake.submissions()[0]).toMatchObject({ path: '/v1/models/black-forest-labs/flux-kontext-pro/predictions', authorization: `Bearer ${TOKEN}` });
  const [job] = fake.jobs.values();
  expect(job.original?.equals(original)).toBe(true);
  expect(checkpoints).toEqual([{ provider: 'replicate', requestId: job.id, getUrl: `${fake.origin}/v1/predictions/${job.id}`, cancelUrl: `${fake.origin}/v1/predictions/${job.id}/cancel` }]);
  expect(waits).toEqual([
    { queuePosition: null, providerStatus: 'starting' },
    { queuePosition: 0, providerStatus: 'processing' },
  ]);
  if (result.kind !== 'url') throw new Error(`expected a URL, got ${result.kind}`);
  const hosted = Buffer.from(await (await fetch(result.url)).arrayBuffer());
  const [got, expected] = await Promise.all([sharp(hosted).raw().toBuffer(), sharp(await sharp(original).tint(FAKE_TINT).png().toBuffer()).raw().toBuffer()]);
  expect(got.equals(expected)).toBe(true);
});

test('resumes a checkpointed prediction without creating another, and cancels with POST urls.cancel', async () => {
  fake.willRun({ queue: [0], hold: true }, { queue: [0], hold: true });
  const shutdown = new AbortController();
  const first = refineRequest({ signal: shutdown.signal });
  const pending = provider.refine(first.request);
  await fake.waitFor(() => fake.callsOf('status').length >= 2, 'two polls');
  shutdown.abort(new CancelledFailure('WORKER_SHUTDOWN'));
  await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
  expect(fake.callsOf('cancel')).toHaveLength(0);

  const cancel = new AbortController();
  const second = provider.refine(refineRequest({ resumeFrom: first.checkpoints[0], signal: cancel.signal }).request);
  await fake.waitFor(() => fake.callsOf('status').length >= 4, 'polls of the resumed prediction');
  cancel.abort(new CancelledFailure('CANCELLED'));
  await expect(second).rejects.toBeInstanceOf(CancelledFailure);
  expect(fake.submissions()).toHaveLength(1);
  expect(fake.callsOf('cancel')).toEqual([expect.objectContaining({ method: 'POST', requestId: first.checkpoints[0].requestId, status: 200 })]);
});

test('a flagged prediction is a PromptRejectedError; a failed one an InvalidProviderResponseError; both final', async () => {
  fake.willRun({ outcome: 'flagged' }, { inProgressPolls: 1, outcome: 'failed' });
  const flagged = await failureOf(provider.refine(refineRequest().request));
  expect(flagged).toBeInstanceOf(PromptRejectedError);
  expect(flagged.message).toContain('flagged as sensitive');
  const failed = await failureOf(provider.refine(refineRequest().request));
  expect(failed).toBeInstanceOf(InvalidProviderResponseError);
  expect(failed.retryable).toBe(false);
  expect(failed.message).toContain('failed: Prediction failed: model crashed');
});

test('configuration: CONCEPT_PROVIDER=replicate needs REPLICATE_API_TOKEN', () => {
  const base = { TEMPORAL_ADDRESS: '127.0.0.1:7233', CONCEPT_PROVIDER: 'replicate' };
  expect(() => loadConfig(base)).toThrow(/REPLICATE_API_TOKEN is required when CONCEPT_PROVIDER=replicate/);
  expect(loadConfig({ ...base, REPLICATE_API_TOKEN: TOKEN }).conceptProvider).toEqual({
    kind: 'replicate',
    apiToken: TOKEN,
    baseUrl: 'https://api.replicate.com',
    model: 'black-forest-labs/flux-kontext-pro',
    imageInput: 'input_image',
    pollIntervalMs: 1_000,
  });
});
