/** Both remote providers against their fakes: the request they send, and how every answer is mapped. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { ConceptService, RefineRequest } from '../../src/adapters/concept-service/concept-service';
import { JigsawStackProvider } from '../../src/adapters/concept-service/jigsawstack-provider';
import { OpenAiImagesProvider } from '../../src/adapters/concept-service/openai-images-provider';
import { redact, type ProviderHttpSettings } from '../../src/adapters/concept-service/provider-http';
import { loadConfig, ConfigError } from '../../src/config';
import {
  InvalidProviderResponseError,
  PromptRejectedError,
  ProviderUnavailableError,
  RefineryError,
} from '../../src/errors';
import { FakeJigsawStack } from '../harness/fake-jigsawstack';
import { FakeOpenAiImages } from '../harness/fake-openai-images';
import type { FakeProvider } from '../harness/fake-provider';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';

const KEY = 'sk-test-0123456789abcdefSECRET';
const HTTP: ProviderHttpSettings = {
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 30_000,
  timeoutMs: 30_000,
  maxResponseBytes: 5 * 1024 * 1024,
  maxPixels: 10_000_000,
};

let original: Buffer;
let images: ImageServer;
let originalImageUrl: string;
/** The attempt's folder, holding the original as the refine stage hands it over. */
let workDir: string;

beforeAll(async () => {
  [original, images, workDir] = await Promise.all([conceptPng(), ImageServer.start(), fs.mkdtemp(path.join(os.tmpdir(), 'providers-test-'))]);
  originalImageUrl = images.serve('/fox.png', { body: original });
  await fs.writeFile(path.join(workDir, 'original'), original);
});
afterAll(async () => {
  await images?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

function refineRequest(overrides: Partial<RefineRequest> = {}): RefineRequest {
  return {
    taskId: 'task-1',
    image: { path: path.join(workDir, 'original'), contentType: 'image/png' },
    workDir,
    originalImageUrl,
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
    preserveAspects: ['the fox silhouette', 'the font'],
    signal: new AbortController().signal,
    heartbeat: () => undefined,
    checkpoint: () => undefined,
    reportWaiting: () => undefined,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<RefineryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RefineryError)) throw new Error(`expected a RefineryError, got ${String(err)}`);
  return err;
}

interface Case {
  name: string;
  start: () => Promise<FakeProvider>;
  provider: (origin: string, http?: ProviderHttpSettings) => ConceptService;
}

const cases: Case[] = [
  {
    name: 'openai',
    start: () => FakeOpenAiImages.start(),
    provider: (origin, http = HTTP) => new OpenAiImagesProvider({ apiKey: KEY, baseUrl: origin, model: 'gpt-image-1', http }),
  },
  {
    name: 'jigsawstack',
    start: () => FakeJigsawStack.start(),
    provider: (origin, http = HTTP) => new JigsawStackProvider({ apiKey: KEY, baseUrl: origin, http }),
  },
];

describe.each(cases)('$name provider', ({ name, start, provider: makeProvider }) => {
  let fake: FakeProvider;
  let provider: ConceptService;

  beforeAll(async () => {
    fake = await start();
    provider = makeProvider(fake.origin);
  });
  afterAll(() => fake?.close());
  beforeEach(() => fake.reset());

  test('sends the documented request and returns the provider image', async () => {
    let heartbeats = 0;
    fake.willAnswer({ kind: 'slow', ms: 300 });
    const result = await provider.refine(refineRequest({ heartbeat: () => void heartbeats++ }));
    // The activity's attempt heartbeats for the call (src/activities/attempt-heartbeat.ts), from one place.
    expect(heartbeats).toBe(0);

    const [received] = fake.requests;
    expect(fake.requests).toHaveLength(1);
    for (const text of ['A minimalist fox', 'Modern tech with autumn colors', 'Make it more autumn-themed with orange and red']) {
      expect(received.prompt).toContain(text);
    }
    expect(received.prompt).toContain('Keep unchanged: the fox silhouette; the font.');
    if (name === 'openai') {
      expect(received.path).toBe('/v1/images/edits');
      expect(received.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(received.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(received.fields).toMatchObject({ model: 'gpt-image-1', n: '1' });
      expect(received.fields).not.toHaveProperty('response_format');
      expect(received.image?.data.equals(original)).toBe(true);
      expect(received.image?.contentType).toBe('image/png');
    } else {
      expect(received.path).toBe('/v1/ai/image_generation');
      expect(received.headers['x-api-key']).toBe(KEY);
      expect(received.headers['content-type']).toBe('application/json');
      expect(received.fields).toMatchObject({ url: originalImageUrl, return_type: 'binary' });
      expect(received.image?.data.equals(original)).toBe(true);
    }

    if (result.kind !== 'image') throw new Error('expected image bytes');
    expect(result.contentType).toBe('image/png');
    // The fake tints orange: the answer is the provider's image, not the original passed through.
    const [before, after] = await Promise.all([sharp(original).stats(), sharp(result.data).stats()]);
    expect(after.channels[0].mean - after.channels[2].mean).toBeGreaterThan(before.channels[0].mean - before.channels[2].mean + 20);
  });

  test('a URL answer is handed back as a URL for the safe download', async () => {
    fake.willAnswer({ kind: 'url' });
    const result = await provider.refine(refineRequest());
    expect(result).toMatchObject({ kind: 'url', url: expect.stringMatching(new RegExp(`^${fake.origin}/files/`)) });
  });

  test('429 is transient and carries Retry-After, in seconds or as an HTTP date', async () => {
    fake.willAnswer({ kind: 'rateLimited', retryAfter: '7' });
    const seconds = await failureOf(provider.refine(refineRequest()));
    expect(seconds).toBeInstanceOf(ProviderUnavailableError);
    expect(seconds.retryAfterMs).toBe(7_000);
    expect(seconds.message).toContain('HTTP 429');

    fake.willAnswer({ kind: 'rateLimited', retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const date = await failureOf(provider.refine(refineRequest()));
    expect(date.retryAfterMs).toBeGreaterThan(27_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  test('500 is transient without a retry delay of its own', async () => {
    fake.willAnswer({ kind: 'serverError' });
    const err = await failureOf(provider.refine(refineRequest()));
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeUndefined();
  });

  test('a rejected prompt is permanent and carries the provider message', async () => {
    fake.willAnswer({ kind: 'reject', message: 'Your request was rejected by the safety system.' });
    const err = await failureOf(provider.refine(refineRequest()));
    expect(err).toBeInstanceOf(PromptRejectedError);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`${name} answered HTTP 400: Your request was rejected by the safety system.`);
  });

  test('a bad key is rejected and the key echoed by the provider is redacted', async () => {
    fake.willAnswer({ kind: 'reject', status: 401, message: `Incorrect API key provided: ${KEY}.` });
    const err = await failureOf(provider.refine(refineRequest()));
    expect(err).toBeInstanceOf(PromptRejectedError);
    expect(err.message).toBe(`${name} answered HTTP 401: Incorrect API key provided: [redacted].`);
    expect(JSON.stringify({ message: err.message, stack: err.stack })).not.toContain('0123456789abcdef');
  });

  test.each([
    ['html', /not JSON|no usable image/],
    ['truncatedPng', /truncated or corrupt/],
  ] as const)('an answer that is not a usable image (%s) is InvalidProviderResponseError', async (kind, why) => {
    fake.willAnswer({ kind });
    const err = await failureOf(provider.refine(refineRequest()));
    expect(err).toBeInstanceOf(InvalidProviderResponseError);
    expect(err.message).toMatch(why);
  });

  test('a provider that hangs past the deadline is transient, and the connection is closed', async () => {
    fake.willAnswer({ kind: 'hang' });
    const slow = makeProvider(fake.origin, { ...HTTP, timeoutMs: 800 });
    const started = Date.now();
    const err = await failureOf(slow.refine(refineRequest()));
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.message).toBe(`${name} did not answer within 800 ms`);
    expect(Date.now() - started).toBeLessThan(3_000);
    await fake.waitForClose(fake.requests[0], 3_000);
  });

  test('an abort closes the connection at once and rethrows the abort reason itself', async () => {
    fake.willAnswer({ kind: 'hang' });
    const controller = new AbortController();
    const call = provider.refine(refineRequest({ signal: controller.signal }));
    const [request] = await fake.waitForRequests(1);
    const reason = new Error('activity cancelled');
    const abortedAt = Date.now();
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    const closedAt = await fake.waitForClose(request, 3_000);
    expect(closedAt - abortedAt).toBeLessThan(1_000);
  });

  test('a connection refused is transient', async () => {
    const nowhere = makeProvider('http://127.0.0.1:9');
    const err = await failureOf(nowhere.refine(refineRequest()));
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.message).toBe(`${name} could not be reached: ECONNREFUSED`);
    // The address connected to is for the operator's log, not for the user's failure message.
    expect(err.message).not.toContain('127.0.0.1');
    expect(err.operatorDetail).toContain('127.0.0.1:9');
  });
});

describe('JigsawStack and uploaded originals', () => {
  test('an upload reference is refused before any request: JigsawStack can only fetch URLs', async () => {
    const fake = await FakeJigsawStack.start();
    try {
      const provider = new JigsawStackProvider({ apiKey: KEY, baseUrl: fake.origin, http: HTTP });
      const err = await failureOf(provider.refine(refineRequest({ originalImageUrl: 'upload:task-1' })));
      expect(err.name).toBe('InvalidRefinementInputError');
      expect(err.retryable).toBe(false);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe('JigsawStack success: false in a 200', () => {
  test("keeps the provider's message, redacted, as a typed rejection", async () => {
    const fake = await FakeJigsawStack.start();
    try {
      fake.willAnswer({ kind: 'reject', status: 200, message: `Prompt blocked by policy (key ${KEY})` });
      const provider = new JigsawStackProvider({ apiKey: KEY, baseUrl: fake.origin, http: HTTP });
      const err = await failureOf(provider.refine(refineRequest()));
      expect(err).toBeInstanceOf(PromptRejectedError);
      expect(err.retryable).toBe(false);
      expect(err.message).toBe('jigsawstack refused the request (success: false): Prompt blocked by policy (key [redacted])');
    } finally {
      await fake.close();
    }
  });
});

describe('redact', () => {
  test('removes our keys and well-known credential shapes, leaves the rest', () => {
    expect(redact('key abc123XYZ and sk-other-9876543210 and Bearer tok.en-1', ['abc123XYZ'])).toBe(
      'key [redacted] and [redacted] and [redacted]',
    );
    expect(redact('x-api-key: abcdefgh, fine', [])).toBe('[redacted], fine');
    expect(redact('nothing secret', ['short'])).toBe('nothing secret');
  });
});

describe('provider configuration', () => {
  const base = { TEMPORAL_ADDRESS: '127.0.0.1:7233' };
  test('selecting a provider without its key names the missing variable', () => {
    expect(() => loadConfig({ ...base, CONCEPT_PROVIDER: 'openai' })).toThrow(new ConfigError('invalid configuration: OPENAI_API_KEY is required when CONCEPT_PROVIDER=openai'));
    expect(() => loadConfig({ ...base, CONCEPT_PROVIDER: 'jigsawstack', JIGSAWSTACK_API_KEY: '  ' })).toThrow(/JIGSAWSTACK_API_KEY is required/);
  });
  test('defaults and overrides', () => {
    expect(loadConfig({ ...base }).conceptProvider).toEqual({ kind: 'local' });
    expect(loadConfig({ ...base, CONCEPT_PROVIDER: 'openai', OPENAI_API_KEY: KEY }).conceptProvider).toEqual({
      kind: 'openai',
      apiKey: KEY,
      baseUrl: 'https://api.openai.com',
      model: 'gpt-image-1',
    });
    expect(loadConfig({ ...base, CONCEPT_PROVIDER: 'jigsawstack', JIGSAWSTACK_API_KEY: KEY }).conceptProvider).toEqual({
      kind: 'jigsawstack',
      apiKey: KEY,
      baseUrl: 'https://api.jigsawstack.com',
    });
    const provider = loadConfig({ ...base, PROVIDER_TIMEOUT_MS: '5000' }).provider;
    expect(provider).toMatchObject({ timeoutMs: 5_000, headersTimeoutMs: 5_000, connectTimeoutMs: 10_000 });
  });
});
