/** Which service refines images (the built-in refiner or a remote image model) and how it is called. */
import { z } from 'zod';
import { defineConcern, type Parsed } from './concern';
import { int, optionalText, refuse } from './env';

/** Which ConceptService refines images, with the settings only that provider needs. */
export type ConceptProviderConfig =
  | { kind: 'local' }
  | { kind: 'jigsawstack'; apiKey: string; baseUrl: string }
  | { kind: 'openai'; apiKey: string; baseUrl: string; model: string }
  | { kind: 'gemini'; apiKey: string; baseUrl: string; model: string }
  | { kind: 'fal'; apiKey: string; baseUrl: string; model: string; pollIntervalMs: number }
  | { kind: 'replicate'; apiToken: string; baseUrl: string; model: string; imageInput: string; pollIntervalMs: number };

export interface ProviderCallConfig {
  ratePerSecond?: number;
  maxConcurrentCalls: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  maxResponseBytes: number;
}

const variables = {
  CONCEPT_PROVIDER: z
    .enum(['local', 'gemini', 'fal', 'replicate', 'openai', 'jigsawstack'])
    .default('local')
    .describe('What refines images: `local` (the built-in refiner, no network), `gemini`, `fal`, `replicate`, `openai`, or `jigsawstack` (deprecated by its vendor).'),
  GEMINI_API_KEY: optionalText.meta({ description: 'Gemini API key, sent in the `x-goog-api-key` header; never logged.', defaultText: '(none; required with `gemini`)' }),
  GEMINI_BASE_URL: z.string().url().default('https://generativelanguage.googleapis.com').describe('`/v1beta/models/<model>:generateContent` is appended.'),
  GEMINI_IMAGE_MODEL: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a model name such as gemini-2.5-flash-image').default('gemini-2.5-flash-image').describe('An image-capable Gemini model.'),
  FAL_KEY: optionalText.meta({ description: 'fal.ai API key (`<id>:<secret>`); never logged.', defaultText: '(none; required with `fal`)' }),
  FAL_QUEUE_BASE_URL: z.string().url().default('https://queue.fal.run').describe("fal's queue; the model id is appended. Status, result and cancel URLs in its answers must be on this origin."),
  FAL_MODEL: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/, 'a model id such as fal-ai/flux-pro/kontext').default('fal-ai/flux-pro/kontext').describe('An image edit model taking `prompt` and `image_url`.'),
  REPLICATE_API_TOKEN: optionalText.meta({ description: 'Replicate API token; never logged.', defaultText: '(none; required with `replicate`)' }),
  REPLICATE_BASE_URL: z.string().url().default('https://api.replicate.com').describe("Replicate's API; prediction URLs in its answers must be on this origin."),
  REPLICATE_MODEL: z.string().regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/, 'owner/name').default('black-forest-labs/flux-kontext-pro').describe('`owner/name` of an image edit model (its latest version runs).'),
  REPLICATE_IMAGE_INPUT: z.string().regex(/^[A-Za-z0-9_]+$/).default('input_image').describe("The model's input field that takes the original image."),
  PROVIDER_QUEUE_POLL_INTERVAL_MS: int(50).default(1_000).describe('Pause between status polls of a queue provider (`fal`, `replicate`); each poll is one small HTTP request.'),
  JIGSAWSTACK_API_KEY: optionalText.meta({ description: 'JigsawStack API key; never logged.', defaultText: '(none; required with `jigsawstack`)' }),
  JIGSAWSTACK_BASE_URL: z.string().url().default('https://api.jigsawstack.com').describe("Where JigsawStack's API lives (a proxy or a test fake)."),
  OPENAI_API_KEY: optionalText.meta({ description: 'OpenAI (or compatible) API key; never logged.', defaultText: '(none; required with `openai`)' }),
  OPENAI_BASE_URL: z.string().url().default('https://api.openai.com').describe('`/v1/images/edits` is appended; a path in the base URL is kept.'),
  OPENAI_IMAGE_MODEL: z.string().min(1).default('gpt-image-1').describe('Sent as `model`.'),
  PROVIDER_TIMEOUT_MS: int(1).default(180_000).describe("Deadline for one provider call, answer included; keep it below the refine stage's `startToCloseTimeout` (5 min by default)."),
  PROVIDER_CONNECT_TIMEOUT_MS: int(1).default(10_000).describe('Deadline for the TCP/TLS connection to the provider.'),
  PROVIDER_HEADERS_TIMEOUT_MS: int(1).optional().meta({
    description: 'Deadline for the response headers; image models send them only once the image is done, so normally the whole deadline.',
    defaultText: '`PROVIDER_TIMEOUT_MS`',
  }),
  PROVIDER_MAX_RESPONSE_BYTES: int(1).default(64 * 1024 * 1024).describe('Larger answers (64 MiB) are refused while they stream; base64 answers are a third larger than the image.'),
  PROVIDER_RATE_PER_SECOND: z.coerce.number().positive().optional().meta({
    description: 'Provider calls per second across all workers (enforced by the server on the provider task queue).',
    defaultText: '(unset: unlimited)',
  }),
  PROVIDER_MAX_CONCURRENT_CALLS: int(1).default(4).describe('Provider calls one worker runs at once.'),
};

export const providers = defineConcern({
  title: 'Providers',
  variables,
  options: (e): { conceptProvider: ConceptProviderConfig; provider: ProviderCallConfig } => ({
    conceptProvider: conceptProvider(e),
    provider: {
      ratePerSecond: e.PROVIDER_RATE_PER_SECOND,
      maxConcurrentCalls: e.PROVIDER_MAX_CONCURRENT_CALLS,
      timeoutMs: e.PROVIDER_TIMEOUT_MS,
      connectTimeoutMs: e.PROVIDER_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.PROVIDER_HEADERS_TIMEOUT_MS ?? e.PROVIDER_TIMEOUT_MS,
      maxResponseBytes: e.PROVIDER_MAX_RESPONSE_BYTES,
    },
  }),
});

/** A remote provider without its key would fail every refinement at its first call: refuse to start instead. */
function conceptProvider(e: Parsed<typeof variables>): ConceptProviderConfig {
  const requireKey = (variable: 'JIGSAWSTACK_API_KEY' | 'OPENAI_API_KEY' | 'GEMINI_API_KEY' | 'FAL_KEY' | 'REPLICATE_API_TOKEN'): string =>
    e[variable] ?? refuse(`${variable} is required when CONCEPT_PROVIDER=${e.CONCEPT_PROVIDER}`);
  switch (e.CONCEPT_PROVIDER) {
    case 'local':
      return { kind: 'local' };
    case 'jigsawstack':
      return { kind: 'jigsawstack', apiKey: requireKey('JIGSAWSTACK_API_KEY'), baseUrl: e.JIGSAWSTACK_BASE_URL };
    case 'openai':
      return { kind: 'openai', apiKey: requireKey('OPENAI_API_KEY'), baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_IMAGE_MODEL };
    case 'gemini':
      return { kind: 'gemini', apiKey: requireKey('GEMINI_API_KEY'), baseUrl: e.GEMINI_BASE_URL, model: e.GEMINI_IMAGE_MODEL };
    case 'fal':
      return { kind: 'fal', apiKey: requireKey('FAL_KEY'), baseUrl: e.FAL_QUEUE_BASE_URL, model: e.FAL_MODEL, pollIntervalMs: e.PROVIDER_QUEUE_POLL_INTERVAL_MS };
    case 'replicate':
      return {
        kind: 'replicate',
        apiToken: requireKey('REPLICATE_API_TOKEN'),
        baseUrl: e.REPLICATE_BASE_URL,
        model: e.REPLICATE_MODEL,
        imageInput: e.REPLICATE_IMAGE_INPUT,
        pollIntervalMs: e.PROVIDER_QUEUE_POLL_INTERVAL_MS,
      };
  }
}
