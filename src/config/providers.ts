/** Which service refines images (the built-in refiner, JigsawStack or an OpenAI-compatible API) and how it is called. */
import { z } from 'zod';
import { defineConcern, type Parsed } from './concern';
import { int, optionalText, refuse } from './env';

/** Which ConceptService refines images, with the settings only that provider needs. */
export type ConceptProviderConfig =
  | { kind: 'local' }
  | { kind: 'jigsawstack'; apiKey: string; baseUrl: string }
  | { kind: 'openai'; apiKey: string; baseUrl: string; model: string };

export interface ProviderCallConfig {
  ratePerSecond?: number;
  maxConcurrentCalls: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  maxResponseBytes: number;
}

const variables = {
  CONCEPT_PROVIDER: z.enum(['local', 'jigsawstack', 'openai']).default('local').describe('What refines images: `local` (the built-in refiner, no network), `jigsawstack` or `openai`.'),
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
  const requireKey = (variable: 'JIGSAWSTACK_API_KEY' | 'OPENAI_API_KEY'): string =>
    e[variable] ?? refuse(`${variable} is required when CONCEPT_PROVIDER=${e.CONCEPT_PROVIDER}`);
  switch (e.CONCEPT_PROVIDER) {
    case 'local':
      return { kind: 'local' };
    case 'jigsawstack':
      return { kind: 'jigsawstack', apiKey: requireKey('JIGSAWSTACK_API_KEY'), baseUrl: e.JIGSAWSTACK_BASE_URL };
    case 'openai':
      return { kind: 'openai', apiKey: requireKey('OPENAI_API_KEY'), baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_IMAGE_MODEL };
  }
}
