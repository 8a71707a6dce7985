/**
 * The one configuration module: every setting comes from the environment, is validated here at
 * start-up, and a bad value stops the process with a message naming the variable.
 */
import path from 'node:path';
import { z } from 'zod';
import type { DownloadLimits } from './adapters/http/download-limits';
import { STAGES, type StagePolicyOverrides } from './workflows/stage-policies';

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

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('concept-refinement'),

  DATABASE_URL: z.string().url().optional(),
  SQLITE_FILE: z.string().default('data/refinery.sqlite'),

  IMAGE_STORE_ROOT: z.string().default('data/images'),
  PUBLIC_IMAGE_BASE_URL: z.string().url().default('http://localhost:8080/images'),

  DOWNLOAD_MAX_BYTES: int(1).default(20 * 1024 * 1024),
  DOWNLOAD_MAX_PIXELS: int(1).default(100_000_000),
  DOWNLOAD_CONNECT_TIMEOUT_MS: int(1).default(5_000),
  DOWNLOAD_HEADERS_TIMEOUT_MS: int(1).default(10_000),
  DOWNLOAD_TOTAL_TIMEOUT_MS: int(1).default(60_000),
  DOWNLOAD_MAX_REDIRECTS: int(0).default(5),
  ALLOW_PRIVATE_IMAGE_HOSTS: bool.default(false),

  CONCEPT_PROVIDER: z.enum(['local']).default('local'),
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
  /** A workflow bundle made by `npm run bundle`; without one the worker bundles at start (seconds). */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string };
  database: { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };
  imageStore: { root: string; publicBaseUrl: string };
  download: DownloadLimits;
  conceptProvider: 'local';
  provider: { ratePerSecond?: number; maxConcurrentCalls: number };
  stagePolicies: StagePolicyOverrides;
  worker: { shutdownGraceMs: number; workflowBundlePath?: string };
  logLevel: string;
}

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
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.resolve(e.SQLITE_FILE) },
    imageStore: { root: path.resolve(e.IMAGE_STORE_ROOT), publicBaseUrl: e.PUBLIC_IMAGE_BASE_URL.replace(/\/+$/, '') },
    download: {
      maxBytes: e.DOWNLOAD_MAX_BYTES,
      maxPixels: e.DOWNLOAD_MAX_PIXELS,
      connectTimeoutMs: e.DOWNLOAD_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.DOWNLOAD_HEADERS_TIMEOUT_MS,
      totalTimeoutMs: e.DOWNLOAD_TOTAL_TIMEOUT_MS,
      maxRedirects: e.DOWNLOAD_MAX_REDIRECTS,
      allowPrivateAddresses: e.ALLOW_PRIVATE_IMAGE_HOSTS,
    },
    conceptProvider: e.CONCEPT_PROVIDER,
    provider: { ratePerSecond: e.PROVIDER_RATE_PER_SECOND, maxConcurrentCalls: e.PROVIDER_MAX_CONCURRENT_CALLS },
    // The regex above accepts exactly the `ms` strings that Temporal's Duration type spells out.
    stagePolicies: e.REFINERY_STAGE_POLICIES as StagePolicyOverrides,
    worker: { shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS, workflowBundlePath: e.WORKFLOW_BUNDLE_PATH },
    logLevel: e.LOG_LEVEL,
  };
}
