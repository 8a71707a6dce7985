/** The Gemini provider against a fake Gemini API: the request it sends, the image it returns, and every refusal typed. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { RefineRequest } from '../../src/adapters/concept-service/concept-service';
import { GeminiProvider, MAX_INLINE_ORIGINAL_BYTES, retryInfoDelayMs } from '../../src/adapters/concept-service/gemini-provider';
import type { ProviderHttpSettings } from '../../src/adapters/concept-service/provider-http';
import { loadConfig } from '../../src/config';
import { ImageTooLargeError, InvalidProviderResponseError, PromptRejectedError, ProviderUnavailableError, RefineryError } from '../../src/errors';
import { FakeGemini, GEMINI_FAKE_REMARK } from '../harness/fake-gemini';
import { conceptPng } from '../harness/images';

const KEY = 'AIzaSyTest-0123456789abcdefghijklmnopq';
const HTTP: ProviderHttpSettings = { connectTimeoutMs: 2_000, headersTimeoutMs: 30_000, timeoutMs: 30_000, maxResponseBytes: 5 * 1024 * 1024, maxPixels: 10_000_000 };

let fake: FakeGemini;
let provider: GeminiProvider;
let original: Buffer;
let workDir: string;

beforeAll(async () => {
  [fake, original, workDir] = await Promise.all([FakeGemini.start(KEY), conceptPng(), fs.mkdtemp(path.join(os.tmpdir(), 'gemini-test-'))]);
  await fs.writeFile(path.join(workDir, 'original'), original);
  provider = new GeminiProvider({ apiKey: KEY, baseUrl: fake.origin, model: 'gemini-2.5-flash-image', http: HTTP });
});
afterAll(async () => {
  await fake?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

function refineRequest(overrides: Partial<RefineRequest> = {}): RefineRequest {
  return {
    taskId: 'task-gemini',
    image: { path: path.join(workDir, 'original'), contentType: 'image/png' },
    workDir,
    originalImageUrl: 'upload:task-gemini',
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
    preserveAspects: ['the fox silhouette'],
    signal: new AbortController().signal,
    heartbeat: () => undefined,
    checkpoint: () => undefined,
    reportWaiting: () => undefined,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<RefineryError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof RefineryError)) throw new Error(`expected a RefineryError, got ${String(err)}`);
  return err;
}

test('sends the original as inlineData beside the prompt, key in the header only, and returns the edited pixels', async () => {
  const result = await provider.refine(refineRequest());

  expect(fake.calls).toHaveLength(1);
  const [call] = fake.calls;
  expect(call.url).toBe('/v1beta/models/gemini-2.5-flash-image:generateContent');
  expect(call.url).not.toContain(KEY);
  expect(call.headers['x-goog-api-key']).toBe(KEY);
  expect(call.body?.generationConfig).toMatchObject({ responseModalities: ['TEXT', 'IMAGE'] });
  expect(call.image?.mimeType).toBe('image/png');
  expect(call.image?.data.equals(original)).toBe(true);
  expect(call.prompt).toContain('Requested change: Make it more autumn-themed with orange and red');
  expect(call.prompt).toContain('Keep unchanged: the fox silhouette.');

  if (result.kind !== 'image') throw new Error(`expected the image itself, got ${result.kind}`);
  expect(result.contentType).toBe('image/png');
  // The fake model inverts: every pixel of the answer is 255 minus the original's.
  const [before, after] = await Promise.all([sharp(original).removeAlpha().raw().toBuffer(), sharp(result.data).removeAlpha().raw().toBuffer()]);
  expect(after.length).toBe(before.length);
  let worst = 0;
  for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(after[i] - (255 - before[i])));
  expect(worst).toBe(0);
  expect(after.equals(before)).toBe(false);

  expect(result.notes).toEqual(['refined by gemini-2.5-flash-image through the Gemini API', `gemini said: ${GEMINI_FAKE_REMARK}`]);
  expect(result.outcome.status).toBe('delegated');
});

test.each([
  ['a blocked prompt (promptFeedback.blockReason)', { kind: 'blockPrompt', blockReason: 'PROHIBITED_CONTENT' } as const, /blocked the prompt by its safety filters \(blockReason PROHIBITED_CONTENT\)/],
  ['a withheld image (finishReason IMAGE_SAFETY)', { kind: 'withholdImage' } as const, /withheld the image, blocked by its safety filters \(finishReason IMAGE_SAFETY\)/],
  ['a withheld answer (finishReason SAFETY)', { kind: 'withholdImage', finishReason: 'SAFETY' } as const, /blocked by its safety filters \(finishReason SAFETY\)/],
])('%s is a final PromptRejectedError that says it was blocked by safety', async (_name, behaviour, message) => {
  fake.willAnswer(behaviour);
  const err = await failureOf(provider.refine(refineRequest()));
  expect(err).toBeInstanceOf(PromptRejectedError);
  expect(err.retryable).toBe(false);
  expect(err.message).toMatch(message);
});

test('429 RESOURCE_EXHAUSTED with Retry-After: retryable, after the delay the header asked for', async () => {
  fake.willAnswer({ kind: 'rateLimited', retryAfter: '3', retryDelay: '40s' });
  const err = await failureOf(provider.refine(refineRequest()));
  expect(err).toBeInstanceOf(ProviderUnavailableError);
  expect(err.retryable).toBe(true);
  expect(err.retryAfterMs).toBe(3_000);
  expect(err.message).toContain('HTTP 429');
});

test("429 with only Gemini's RetryInfo: its retryDelay is the delay", async () => {
  fake.willAnswer({ kind: 'rateLimited', retryDelay: '7.5s' });
  const err = await failureOf(provider.refine(refineRequest()));
  expect(err).toBeInstanceOf(ProviderUnavailableError);
  expect(err.retryAfterMs).toBe(7_500);
  expect(retryInfoDelayMs(Buffer.from('{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"99999s"}]}}'))).toBe(10 * 60_000);
  expect(retryInfoDelayMs(Buffer.from('<html>'))).toBeUndefined();
});

test.each([
  ['an HTML page', { kind: 'html' } as const, ProviderUnavailableError, /HTTP 502/],
  ['no candidates', { kind: 'noCandidates' } as const, InvalidProviderResponseError, /without a candidate/],
  ['an image part that is not base64', { kind: 'notBase64' } as const, InvalidProviderResponseError, /not base64/],
  ['text and no image', { kind: 'textOnly' } as const, InvalidProviderResponseError, /without an image \(it answered only with text\)/],
])('an answer with %s is typed', async (_name, behaviour, type, message) => {
  fake.willAnswer(behaviour);
  const err = await failureOf(provider.refine(refineRequest()));
  expect(err).toBeInstanceOf(type);
  expect(err.message).toMatch(message);
});

test('a refused key is a final rejection, and the key is never repeated', async () => {
  const wrong = new GeminiProvider({ apiKey: 'AIzaWRONG-key-000000000000000000000', baseUrl: fake.origin, model: 'gemini-2.5-flash-image', http: HTTP });
  const err = await failureOf(wrong.refine(refineRequest()));
  expect(err).toBeInstanceOf(PromptRejectedError);
  expect(err.message).toContain('API key not valid');
  fake.willAnswer({ kind: 'reject', message: `bad request for key ${KEY}` });
  const echoed = await failureOf(provider.refine(refineRequest()));
  expect(echoed.message).not.toContain(KEY);
  expect(echoed.message).toContain('[redacted]');
});

test('an original too large to send inline is refused before anything is sent', async () => {
  const big = path.join(workDir, 'big');
  await fs.writeFile(big, Buffer.alloc(MAX_INLINE_ORIGINAL_BYTES + 1));
  const err = await failureOf(provider.refine(refineRequest({ image: { path: big, contentType: 'image/png' } })));
  expect(err).toBeInstanceOf(ImageTooLargeError);
  expect(err.message).toContain('larger than Gemini takes inline');
  expect(fake.calls).toHaveLength(0);
});

test('an abort cuts the call and is rethrown as itself', async () => {
  fake.willAnswer({ kind: 'slow', ms: 5_000 });
  const controller = new AbortController();
  const reason = new Error('cancelled by the test');
  setTimeout(() => controller.abort(reason), 200);
  const started = Date.now();
  await expect(provider.refine(refineRequest({ signal: controller.signal }))).rejects.toBe(reason);
  expect(Date.now() - started).toBeLessThan(2_000);
});

test('configuration: CONCEPT_PROVIDER=gemini needs GEMINI_API_KEY and builds the provider from its variables', () => {
  const base = { TEMPORAL_ADDRESS: 'localhost:7233', CONCEPT_PROVIDER: 'gemini' };
  expect(() => loadConfig(base)).toThrow(/GEMINI_API_KEY is required when CONCEPT_PROVIDER=gemini/);
  const config = loadConfig({ ...base, GEMINI_API_KEY: KEY, GEMINI_IMAGE_MODEL: 'gemini-3-pro-image-preview' });
  expect(config.conceptProvider).toEqual({ kind: 'gemini', apiKey: KEY, baseUrl: 'https://generativelanguage.googleapis.com', model: 'gemini-3-pro-image-preview' });
  expect(() => loadConfig({ ...base, GEMINI_API_KEY: KEY, GEMINI_IMAGE_MODEL: '../evil' })).toThrow(/GEMINI_IMAGE_MODEL/);
});
