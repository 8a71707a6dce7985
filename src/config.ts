/**
 * The one configuration module: every setting comes from the environment, is validated here at
 * start-up, and a bad value stops the process with a message naming the variable.
 */
import path from 'node:path';
import { z } from 'zod';
import type { DownloadLimits } from './adapters/http/download-limits';
import { msToNumber, type Duration } from '@temporalio/common';
import { STAGES, resolveStagePolicies, type StagePolicyOverrides } from './workflows/stage-policies';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number) => z.coerce.number().int().min(min);

/** Temporal durations: milliseconds, or an `ms`-style string such as "30s" or "5m". */
const duration = z.union([int(1), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'is not a duration like "30s"')]);
const stagePolicySchema = z
  .object({
    startToCloseTimeout: duration,
    heartbeatTimeout: duration,
    initialInterval: duration,
    backoffCoefficient: z.number().min(1),
    maximumInterval: duration,
    maximumAttempts: z.number().int().min(0),
  })
  .partial()
  .strict();
const stagePolicyOverridesSchema = z.partialRecord(z.enum(STAGES), stagePolicySchema);

/** An unset or empty variable is "no key"; the value itself never appears in a message. */
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('concept-refinement'),

  DATABASE_URL: z.string().url().optional(),
  SQLITE_FILE: z.string().default('data/refinery.sqlite'),

  IMAGE_STORE_ROOT: z.string().default('data/images'),
  /** Default: the gateway's own /images route (http://localhost:<GATEWAY_PORT>/images), which serves signed URLs. */
  PUBLIC_IMAGE_BASE_URL: z.string().url().optional(),

  DOWNLOAD_MAX_BYTES: int(1).default(20 * 1024 * 1024),
  DOWNLOAD_MAX_PIXELS: int(1).default(100_000_000),
  DOWNLOAD_CONNECT_TIMEOUT_MS: int(1).default(5_000),
  DOWNLOAD_HEADERS_TIMEOUT_MS: int(1).default(10_000),
  DOWNLOAD_TOTAL_TIMEOUT_MS: int(1).default(60_000),
  DOWNLOAD_MAX_REDIRECTS: int(0).default(5),
  ALLOW_PRIVATE_IMAGE_HOSTS: bool.default(false),

  CONCEPT_PROVIDER: z.enum(['local', 'jigsawstack', 'openai']).default('local'),
  JIGSAWSTACK_API_KEY: optionalSecret,
  JIGSAWSTACK_BASE_URL: z.string().url().default('https://api.jigsawstack.com'),
  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: z.string().url().default('https://api.openai.com'),
  OPENAI_IMAGE_MODEL: z.string().min(1).default('gpt-image-1'),
  /** Deadline for one provider call, body included; keep it below the refine stage's startToCloseTimeout. */
  PROVIDER_TIMEOUT_MS: int(1).default(180_000),
  PROVIDER_CONNECT_TIMEOUT_MS: int(1).default(10_000),
  /** Image models send headers only once the image is done, so this defaults to the whole deadline. */
  PROVIDER_HEADERS_TIMEOUT_MS: int(1).optional(),
  PROVIDER_MAX_RESPONSE_BYTES: int(1).default(64 * 1024 * 1024),
  /** Provider calls per second across all workers (enforced by the server on the provider task queue). */
  PROVIDER_RATE_PER_SECOND: z.coerce.number().positive().optional(),
  /** Provider calls one worker runs at once. */
  PROVIDER_MAX_CONCURRENT_CALLS: int(1).default(4),

  /** JSON object of per-stage overrides, see src/workflows/stage-policies.ts and the README table. */
  REFINERY_STAGE_POLICIES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(stagePolicyOverridesSchema),

  WORKER_SHUTDOWN_GRACE_MS: int(0).default(10_000),
  /**
   * How long a workflow task waits for the worker that last ran the workflow before any worker may
   * take it. It bounds how long a crashed worker holds up its workflows (the SDK default is 10 s).
   */
  WORKER_STICKY_TIMEOUT_MS: int(100).default(3_000),
  /** A workflow bundle made by `npm run bundle`; without one the worker bundles at start (seconds). */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  GATEWAY_PORT: int(0).max(65535).default(8080),
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** HS256 secret for user JWTs. Unset with no JWKS URL: the local dev secret (refused in production). */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** JWKS endpoint of an identity provider (e.g. Supabase's); takes precedence over JWT_SECRET. */
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().min(1).default('refinery-local'),
  JWT_AUDIENCE: z.string().min(1).default('refinery'),
  /** HMAC key for the /images URLs. Unset: the local dev secret (refused in production). */
  URL_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SIGNED_URL_TTL_SECONDS: int(1).default(3600),
  /** Requests per user per window on the /v1 routes. */
  GATEWAY_RATE_LIMIT_MAX: int(1).default(120),
  GATEWAY_RATE_LIMIT_WINDOW_MS: int(1).default(60_000),
  /** Refinements one user may have running at once. */
  GATEWAY_MAX_RUNNING_PER_USER: int(1).default(5),
  /** Retry-After sent when the running cap refuses a start: about how long a refinement takes. */
  GATEWAY_CAP_RETRY_AFTER_SECONDS: int(1).default(30),
  /** JSON request bodies; uploads have their own limit. */
  GATEWAY_BODY_LIMIT_BYTES: int(1024).default(64 * 1024),
  /** Uploaded originals; default: the same cap as downloaded ones. */
  GATEWAY_UPLOAD_MAX_BYTES: int(1).optional(),
  NODE_ENV: z.string().optional(),

  // --- Webhooks (refinement events to user endpoints and per-request callback URLs) ---
  /** Key that seals webhook signing secrets in the database; gateway and worker both need it. Unset: the local dev key (refused in production). */
  WEBHOOK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Deadline of one delivery attempt (connect, send, answer): a slow receiver is a failed attempt. */
  WEBHOOK_TIMEOUT_MS: int(100).default(10_000),
  /** How long deliveries to one endpoint are retried before they are marked failed. */
  WEBHOOK_RETRY_FOR: duration.default('24h'),
  /** First retry delay; doubled each retry up to WEBHOOK_RETRY_MAXIMUM_INTERVAL. */
  WEBHOOK_RETRY_INITIAL_INTERVAL: duration.default('10s'),
  WEBHOOK_RETRY_MAXIMUM_INTERVAL: duration.default('10m'),
  /** Lets webhooks go to loopback/private addresses (tests and local development only). */
  ALLOW_PRIVATE_WEBHOOK_HOSTS: bool.default(false),
  /** Registered endpoints per user. */
  WEBHOOK_MAX_ENDPOINTS_PER_USER: int(1).default(10),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string };
  database: { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };
  imageStore: { root: string; publicBaseUrl: string };
  download: DownloadLimits;
  conceptProvider: ConceptProviderConfig;
  provider: {
    ratePerSecond?: number;
    maxConcurrentCalls: number;
    timeoutMs: number;
    connectTimeoutMs: number;
    headersTimeoutMs: number;
    maxResponseBytes: number;
  };
  stagePolicies: StagePolicyOverrides;
  worker: { shutdownGraceMs: number; stickyTimeoutMs: number; workflowBundlePath?: string };
  gateway: GatewayConfig;
  webhooks: WebhookConfig;
  logLevel: string;
}

export interface WebhookConfig {
  secretKey: string;
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  maxEndpointsPerUser: number;
  /** Temporal durations, put in each workflow's input by the starter. */
  retry: { retryFor: Duration; attemptTimeout: Duration; initialInterval: Duration; maximumInterval: Duration };
}

export interface GatewayConfig {
  port: number;
  host: string;
  auth: { jwtSecret?: string; jwksUrl?: string; issuer: string; audience: string };
  urlSigningSecret: string;
  signedUrlTtlSeconds: number;
  rateLimit: { max: number; windowMs: number };
  maxRunningPerUser: number;
  capRetryAfterSeconds: number;
  bodyLimitBytes: number;
  uploadMaxBytes: number;
}

/**
 * Local development only: a fresh checkout runs (and `refinery token` mints JWTs) without any
 * setup. They are public, so loadConfig refuses them when NODE_ENV=production.
 */
export const DEV_JWT_SECRET = 'refinery-local-development-jwt-secret-not-for-production';
export const DEV_URL_SIGNING_SECRET = 'refinery-local-development-url-signing-secret-not-for-production';
export const DEV_WEBHOOK_SECRET_KEY = 'refinery-local-development-webhook-secret-key-not-for-production';

/** Which ConceptService refines images, with the settings only that provider needs. */
export type ConceptProviderConfig =
  | { kind: 'local' }
  | { kind: 'jigsawstack'; apiKey: string; baseUrl: string }
  | { kind: 'openai'; apiKey: string; baseUrl: string; model: string };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production') {
    const missing = [
      !e.JWT_SECRET && !e.JWT_JWKS_URL && 'JWT_SECRET or JWT_JWKS_URL',
      !e.URL_SIGNING_SECRET && 'URL_SIGNING_SECRET',
      !e.WEBHOOK_SECRET_KEY && 'WEBHOOK_SECRET_KEY',
    ].filter(Boolean);
    if (missing.length > 0) throw new ConfigError(`invalid configuration: ${missing.join(', ')} must be set in production`);
  }
  const publicBaseUrl = e.PUBLIC_IMAGE_BASE_URL ?? `http://localhost:${e.GATEWAY_PORT}/images`;
  // The server refuses to schedule an activity whose backoff could never grow: catch it here, not mid-run.
  const stagePolicies = e.REFINERY_STAGE_POLICIES as StagePolicyOverrides;
  for (const [stage, policy] of Object.entries(resolveStagePolicies(stagePolicies))) {
    if (msToNumber(policy.maximumInterval) < msToNumber(policy.initialInterval)) {
      throw new ConfigError(`invalid configuration: REFINERY_STAGE_POLICIES.${stage}: maximumInterval is below initialInterval`);
    }
  }
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.resolve(e.SQLITE_FILE) },
    imageStore: { root: path.resolve(e.IMAGE_STORE_ROOT), publicBaseUrl: publicBaseUrl.replace(/\/+$/, '') },
    download: {
      maxBytes: e.DOWNLOAD_MAX_BYTES,
      maxPixels: e.DOWNLOAD_MAX_PIXELS,
      connectTimeoutMs: e.DOWNLOAD_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.DOWNLOAD_HEADERS_TIMEOUT_MS,
      totalTimeoutMs: e.DOWNLOAD_TOTAL_TIMEOUT_MS,
      maxRedirects: e.DOWNLOAD_MAX_REDIRECTS,
      allowPrivateAddresses: e.ALLOW_PRIVATE_IMAGE_HOSTS,
    },
    conceptProvider: conceptProviderFrom(e),
    provider: {
      ratePerSecond: e.PROVIDER_RATE_PER_SECOND,
      maxConcurrentCalls: e.PROVIDER_MAX_CONCURRENT_CALLS,
      timeoutMs: e.PROVIDER_TIMEOUT_MS,
      connectTimeoutMs: e.PROVIDER_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.PROVIDER_HEADERS_TIMEOUT_MS ?? e.PROVIDER_TIMEOUT_MS,
      maxResponseBytes: e.PROVIDER_MAX_RESPONSE_BYTES,
    },
    // The regex above accepts exactly the `ms` strings that Temporal's Duration type spells out.
    stagePolicies,
    worker: {
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      stickyTimeoutMs: e.WORKER_STICKY_TIMEOUT_MS,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    },
    gateway: {
      port: e.GATEWAY_PORT,
      host: e.GATEWAY_HOST,
      auth: {
        jwtSecret: e.JWT_JWKS_URL ? e.JWT_SECRET : (e.JWT_SECRET ?? DEV_JWT_SECRET),
        jwksUrl: e.JWT_JWKS_URL,
        issuer: e.JWT_ISSUER,
        audience: e.JWT_AUDIENCE,
      },
      urlSigningSecret: e.URL_SIGNING_SECRET ?? DEV_URL_SIGNING_SECRET,
      signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
      rateLimit: { max: e.GATEWAY_RATE_LIMIT_MAX, windowMs: e.GATEWAY_RATE_LIMIT_WINDOW_MS },
      maxRunningPerUser: e.GATEWAY_MAX_RUNNING_PER_USER,
      capRetryAfterSeconds: e.GATEWAY_CAP_RETRY_AFTER_SECONDS,
      bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
      uploadMaxBytes: e.GATEWAY_UPLOAD_MAX_BYTES ?? e.DOWNLOAD_MAX_BYTES,
    },
    webhooks: {
      secretKey: e.WEBHOOK_SECRET_KEY ?? DEV_WEBHOOK_SECRET_KEY,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      allowPrivateAddresses: e.ALLOW_PRIVATE_WEBHOOK_HOSTS,
      maxEndpointsPerUser: e.WEBHOOK_MAX_ENDPOINTS_PER_USER,
      retry: {
        retryFor: asDuration(e.WEBHOOK_RETRY_FOR),
        attemptTimeout: asDuration(e.WEBHOOK_TIMEOUT_MS + 5_000),
        initialInterval: asDuration(e.WEBHOOK_RETRY_INITIAL_INTERVAL),
        maximumInterval: asDuration(e.WEBHOOK_RETRY_MAXIMUM_INTERVAL),
      },
    },
    logLevel: e.LOG_LEVEL,
  };
}

/** Milliseconds or an `ms` string, as the string a workflow input carries. */
function asDuration(value: number | string): Duration {
  return (typeof value === 'number' ? `${value}ms` : value.replace(/\s+/g, '')) as Duration;
}

/** A remote provider without its key would fail every refinement at its first call: refuse to start instead. */
function conceptProviderFrom(e: z.infer<typeof envSchema>): ConceptProviderConfig {
  const requireKey = (variable: 'JIGSAWSTACK_API_KEY' | 'OPENAI_API_KEY'): string => {
    const key = e[variable];
    if (!key) throw new ConfigError(`invalid configuration: ${variable} is required when CONCEPT_PROVIDER=${e.CONCEPT_PROVIDER}`);
    return key;
  };
  switch (e.CONCEPT_PROVIDER) {
    case 'local':
      return { kind: 'local' };
    case 'jigsawstack':
      return { kind: 'jigsawstack', apiKey: requireKey('JIGSAWSTACK_API_KEY'), baseUrl: e.JIGSAWSTACK_BASE_URL };
    case 'openai':
      return { kind: 'openai', apiKey: requireKey('OPENAI_API_KEY'), baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_IMAGE_MODEL };
  }
}
