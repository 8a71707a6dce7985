/**
 * The one configuration module: every setting comes from the environment, is validated here at
 * start-up, and a bad value stops the process with a message naming the variable.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import type { DownloadLimits } from '../adapters/http/download-limits';
import { msToNumber, type Duration } from '@temporalio/common';
import { POLICY_NAMES, resolveStagePolicies, type StagePolicyOverrides } from '../workflows/stage-policies';
import { KEY_BYTES, type EncryptionKey } from '../temporal/encryption-codec';

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
const stagePolicyOverridesSchema = z.partialRecord(z.enum(POLICY_NAMES), stagePolicySchema);

/** An unset or empty variable is "no key"; the value itself never appears in a message. */
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

/** OpenTelemetry's convention (and compose's `${VAR:-}`): an empty variable is an unset one. */
const emptyAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** An unset or empty variable is "not set" (compose files pass empty strings for unset variables). */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('concept-refinement'),

  // --- Connection to Temporal: TLS and API key (an mTLS cluster, Temporal Cloud) ---
  /** PEM CA certificate(s) the frontend's certificate must chain to; unset: the system's CAs. */
  TEMPORAL_TLS_CA_FILE: optionalText,
  /** PEM client certificate for mTLS; needs TEMPORAL_TLS_KEY_FILE. */
  TEMPORAL_TLS_CERT_FILE: optionalText,
  /** PEM private key of that certificate. */
  TEMPORAL_TLS_KEY_FILE: optionalText,
  /** The name to expect in the frontend's certificate (and send as SNI) when it is not the address's host. */
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  /** TLS on or off; unset: on when any TEMPORAL_TLS_* file or name, or TEMPORAL_API_KEY, is set. */
  TEMPORAL_TLS: bool.optional(),
  /** Temporal Cloud API key, sent as `Authorization: Bearer`; never logged. */
  TEMPORAL_API_KEY: optionalSecret,

  DATABASE_URL: z.string().url().optional(),
  SQLITE_FILE: z.string().default('data/refinery.sqlite'),

  // --- Image store -------------------------------------------------------------------------------
  /** Where blobs live: `filesystem` (a folder, the embedded default) or `s3` (any S3-compatible store). */
  IMAGE_STORE: z.enum(['filesystem', 's3']).default('filesystem'),
  /** The filesystem store's folder. */
  IMAGE_STORE_ROOT: z.string().default('data/images'),
  /** Default: the gateway's own /images route (http://localhost:<GATEWAY_PORT>/images), which serves signed URLs. */
  PUBLIC_IMAGE_BASE_URL: z.string().url().optional(),
  /**
   * How the gateway's /images answers a valid signed link: `stream` (the gateway reads the store and
   * streams the bytes) or `redirect` (a 307 to a presigned URL of the store; S3 only, so the bytes
   * never pass through the gateway).
   */
  IMAGE_DELIVERY: z.enum(['stream', 'redirect']).default('stream'),

  // --- S3 image store (IMAGE_STORE=s3); credentials come from the standard AWS chain ---------------
  /** The bucket; it must exist (Refinery never creates buckets). */
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)')
    .optional(),
  /** Key prefix inside the bucket, e.g. `refinery/prod`, so several deployments can share one bucket. */
  S3_PREFIX: z
    .string()
    .default('')
    .transform((v) => v.replace(/^\/+|\/+$/g, ''))
    .refine((v) => v === '' || /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(v), 'must be `/`-separated plain segments'),
  /** Signing region; S3-compatible servers mostly accept any (us-east-1 is the usual choice). */
  S3_REGION: z.string().min(1).optional(),
  /** Unset: AWS S3 itself. Set for SeaweedFS, MinIO, Garage, R2 (e.g. https://<account>.r2.cloudflarestorage.com). */
  S3_ENDPOINT: z.string().url().optional(),
  /** `true` addresses the bucket as <endpoint>/<bucket> instead of <bucket>.<endpoint> (most self-hosted servers need it). */
  S3_FORCE_PATH_STYLE: bool.default(false),

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

  // --- Worker health endpoint (src/worker/health-server.ts) ---
  /** Port of the worker's /livez and /readyz; unset: no endpoint. */
  WORKER_HEALTH_PORT: int(0).max(65535).optional(),
  /** Where it listens: loopback suits a container HEALTHCHECK; 0.0.0.0 lets an orchestrator probe it. */
  WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),

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

  // --- Gateway: limits in front of authentication and on event streams (issue 9, items 12-13) ---
  /** Requests per client address per window, counted before authentication (unknown keys, /images). */
  GATEWAY_ADDRESS_RATE_LIMIT_MAX: int(1).default(600),
  GATEWAY_ADDRESS_RATE_LIMIT_WINDOW_MS: int(1).default(60_000),
  /** Event streams (SSE) one user may hold open at once; beyond it a new stream is refused with 429. */
  GATEWAY_MAX_STREAMS_PER_USER: int(1).default(10),

  NODE_ENV: z.string().optional(),
  /** Read only as fallbacks of S3_REGION, as the AWS SDK itself would. */
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),

  // --- Web page (served by the gateway at /) ---
  /** The built page (`npm run build:web` writes it); when it is missing, `/` answers 503 saying how to build it. */
  WEB_DIST_DIR: z.string().min(1).default('dist/web'),

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

  // --- Payload encryption and the codec server (README: "Encrypted payloads") ---
  /**
   * `keyId:base64key[,keyId:base64key...]`, 32-byte AES-256 keys. Unset: payloads are stored in
   * clear (the default). The first key encrypts; every key decrypts (rotation).
   */
  PAYLOAD_ENCRYPTION_KEYS: optionalSecret.transform((text, ctx) => (text === undefined ? undefined : parseEncryptionKeys(text, ctx))),
  /** Origins of the Temporal Web UI allowed to call /codec from a browser (comma-separated). */
  CODEC_CORS_ORIGINS: z
    .string()
    .default('http://localhost:8233')
    .transform((text) => text.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url().refine((o) => new URL(o).origin === o, 'must be an origin like https://ui.example.com (no path)'))),
  /** The operator's bearer token for /codec (tools such as `temporal --codec-auth`). Never a user's credential. */
  CODEC_AUTH_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /** `claim=value` a JWT from the identity provider must carry to use /codec (the Web UI passing an operator's token). */
  CODEC_OPERATOR_CLAIM: z.string().regex(/^[^=\s]+=[^=\s]+$/, 'must be claim=value').default('refinery_role=operator'),
  /** Local development only: /codec without credentials, for the dev server's UI, which sends none. */
  CODEC_AUTH_DISABLED: bool.default(false),
  // --- Observability (metrics, traces; see the README's "Operating Refinery") ---
  /** Port of the worker's Prometheus endpoint (the SDK's and Refinery's metrics together); unset: no endpoint. */
  WORKER_METRICS_PORT: z.preprocess(emptyAsUnset, int(1).max(65535).optional()),
  /** Address that endpoint listens on; loopback by default, `0.0.0.0` in a container that Prometheus scrapes. */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Bearer token for the gateway's /metrics. Unset: /metrics answers loopback clients only, so a
   * gateway exposed to users never shows its metrics to them.
   */
  GATEWAY_METRICS_TOKEN: optionalSecret,
  /** OTLP/HTTP collector base URL (the OpenTelemetry standard variable); traces go to `<url>/v1/traces`. Unset: no export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(emptyAsUnset, z.string().url().optional()),
  /** `service.name` of the exported spans; default `refinery-worker` / `refinery-gateway`. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

/** Every variable this module reads: the deployment files are checked against it (test/deploy). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export interface Config {
  temporal: TemporalConnectionConfig;
  database: { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };
  imageStore: ImageStoreConfig;
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
  worker: {
    shutdownGraceMs: number;
    stickyTimeoutMs: number;
    workflowBundlePath?: string;
    /** The health endpoint, when WORKER_HEALTH_PORT is set. */
    health?: { port: number; host: string };
  };
  gateway: GatewayConfig;
  web: WebConfig;
  /** Absent: payloads go to Temporal in clear. */
  payloadEncryption?: { keys: EncryptionKey[] };
  codec: CodecServerConfig;
  webhooks: WebhookConfig;
  logLevel: string;
  observability: ObservabilityConfig;
}

export interface ObservabilityConfig {
  workerMetrics?: { host: string; port: number };
  gatewayMetricsToken?: string;
  /** Where spans are exported (OTLP/HTTP base URL); undefined: tracing context only, no export. */
  otlpEndpoint?: string;
  serviceName?: string;
}

/** Who may use the gateway's /codec endpoints, and from which browser origins. */
export interface CodecServerConfig {
  corsOrigins: string[];
  authToken?: string;
  operatorClaim: { name: string; value: string };
  authDisabled: boolean;
}

/** Which ImageStore holds the blobs, with the settings only that store needs. */
export type ImageStoreConfig = {
  publicBaseUrl: string;
  delivery: 'stream' | 'redirect';
} & (
  | { kind: 'filesystem'; root: string }
  | { kind: 's3'; bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean }
);

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
  /** Per client address, before authentication. */
  addressRateLimit: { max: number; windowMs: number };
  maxStreamsPerUser: number;
  maxRunningPerUser: number;
  capRetryAfterSeconds: number;
  bodyLimitBytes: number;
  uploadMaxBytes: number;
}

export interface WebConfig {
  /** Absolute path of the built page's folder. */
  distDir: string;
}

export interface TemporalConnectionConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Absent: plaintext. Present: TLS, with the contents of the configured files (read at start-up). */
  tls?: TemporalTlsConfig;
  apiKey?: Secret;
}

export interface TemporalTlsConfig {
  /** Absent: the system's CAs (Temporal Cloud). */
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Secret<Buffer> };
  serverNameOverride?: string;
  /** Where the settings came from, for error messages (paths only, never contents). */
  files: { ca?: string; cert?: string; key?: string };
}

/** A value that never prints: JSON, logs and util.inspect show "[redacted]"; reveal() gives it to whoever must send it. */
export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/**
 * Local development only: a fresh checkout runs (and `refinery token` mints JWTs) without any
 * setup. They are public, so loadGatewayConfig refuses them in production and off loopback.
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
  // The codec server's development switch: never in production, never where others can reach it.
  if (e.CODEC_AUTH_DISABLED && e.NODE_ENV === 'production') {
    throw new ConfigError('invalid configuration: CODEC_AUTH_DISABLED is refused in production');
  }
  if (e.CODEC_AUTH_DISABLED && !isLoopbackHost(e.GATEWAY_HOST)) {
    throw new ConfigError('invalid configuration: CODEC_AUTH_DISABLED needs GATEWAY_HOST on loopback (127.0.0.1, ::1 or localhost)');
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
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: temporalTlsFrom(e),
      apiKey: e.TEMPORAL_API_KEY ? new Secret(e.TEMPORAL_API_KEY) : undefined,
    },
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.resolve(e.SQLITE_FILE) },
    imageStore: imageStoreFrom(e, publicBaseUrl.replace(/\/+$/, '')),
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
      health: e.WORKER_HEALTH_PORT === undefined ? undefined : { port: e.WORKER_HEALTH_PORT, host: e.WORKER_HEALTH_HOST },
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
      addressRateLimit: { max: e.GATEWAY_ADDRESS_RATE_LIMIT_MAX, windowMs: e.GATEWAY_ADDRESS_RATE_LIMIT_WINDOW_MS },
      maxStreamsPerUser: e.GATEWAY_MAX_STREAMS_PER_USER,
      maxRunningPerUser: e.GATEWAY_MAX_RUNNING_PER_USER,
      capRetryAfterSeconds: e.GATEWAY_CAP_RETRY_AFTER_SECONDS,
      bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
      uploadMaxBytes: e.GATEWAY_UPLOAD_MAX_BYTES ?? e.DOWNLOAD_MAX_BYTES,
    },
    web: { distDir: path.resolve(e.WEB_DIST_DIR) },
    payloadEncryption: e.PAYLOAD_ENCRYPTION_KEYS ? { keys: e.PAYLOAD_ENCRYPTION_KEYS } : undefined,
    codec: {
      corsOrigins: e.CODEC_CORS_ORIGINS,
      authToken: e.CODEC_AUTH_TOKEN,
      operatorClaim: (([name, value]) => ({ name, value }))(e.CODEC_OPERATOR_CLAIM.split('=')),
      authDisabled: e.CODEC_AUTH_DISABLED,
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
    observability: {
      workerMetrics: e.WORKER_METRICS_PORT === undefined ? undefined : { host: e.WORKER_METRICS_HOST, port: e.WORKER_METRICS_PORT },
      gatewayMetricsToken: e.GATEWAY_METRICS_TOKEN,
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: e.OTEL_SERVICE_NAME,
    },
  };
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Messages name the entry and the key id, never the key. */
function parseEncryptionKeys(text: string, ctx: z.RefinementCtx): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of text.split(',').entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const encoded = entry.slice(separator + 1).trim();
    const where = `entry ${index + 1}`;
    if (separator < 0 || !KEY_ID.test(id)) {
      ctx.addIssue({ code: 'custom', message: `${where} is not keyId:base64key (key ids: letters, digits, . _ -, at most 64)` });
      continue;
    }
    const key = Buffer.from(encoded, 'base64');
    if (!BASE64.test(encoded) || key.length !== KEY_BYTES) {
      ctx.addIssue({ code: 'custom', message: `key "${id}" is not ${KEY_BYTES} bytes of base64 (make one with: openssl rand -base64 32)` });
      continue;
    }
    if (keys.some((k) => k.id === id)) ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
    keys.push({ id, key });
  }
  return keys;
}

function imageStoreFrom(e: z.infer<typeof envSchema>, publicBaseUrl: string): ImageStoreConfig {
  if (e.IMAGE_STORE === 'filesystem') {
    if (e.IMAGE_DELIVERY === 'redirect') {
      throw new ConfigError('invalid configuration: IMAGE_DELIVERY=redirect needs presigned URLs, which only IMAGE_STORE=s3 has; use IMAGE_DELIVERY=stream');
    }
    return { kind: 'filesystem', root: path.resolve(e.IMAGE_STORE_ROOT), publicBaseUrl, delivery: e.IMAGE_DELIVERY };
  }
  if (!e.S3_BUCKET) throw new ConfigError('invalid configuration: S3_BUCKET is required when IMAGE_STORE=s3');
  return {
    kind: 's3',
    bucket: e.S3_BUCKET,
    prefix: e.S3_PREFIX,
    // The SDK's own fallbacks, then the region S3-compatible servers expect when they care at all.
    region: e.S3_REGION ?? e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: e.S3_ENDPOINT,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    publicBaseUrl,
    delivery: e.IMAGE_DELIVERY,
  };
}

/**
 * The gateway's configuration: loadConfig, then fail closed. The development secrets are public
 * (they are in this file), so the gateway refuses them in production and whenever it listens on
 * anything but loopback, whatever NODE_ENV says. Only the gateway holds these secrets: the worker
 * and the CLI's admin commands load their configuration without them.
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(env);
  const { host, auth, urlSigningSecret } = config.gateway;
  const exposed = !isLoopbackHost(host);
  if (env.NODE_ENV !== 'production' && !exposed) return config;
  const jwtPublic = !auth.jwksUrl && auth.jwtSecret === DEV_JWT_SECRET;
  const signingPublic = urlSigningSecret === DEV_URL_SIGNING_SECRET;
  const webhookKeyPublic = config.webhooks.secretKey === DEV_WEBHOOK_SECRET_KEY;
  const missing = [
    jwtPublic && 'JWT_SECRET (or JWT_JWKS_URL)',
    signingPublic && 'URL_SIGNING_SECRET',
    webhookKeyPublic && 'WEBHOOK_SECRET_KEY',
  ].filter(Boolean);
  if (missing.length === 0) return config;
  const why = exposed ? `GATEWAY_HOST=${host} is not a loopback address` : 'NODE_ENV=production';
  throw new ConfigError(`invalid configuration: ${missing.join(', ')} must be set to a secret of your own (not the public development one): ${why}`);
}

/** 127.0.0.0/8, ::1 and localhost; anything else (0.0.0.0, ::, a host name or address) is reachable from elsewhere. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
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

/**
 * TLS to Temporal from the TEMPORAL_TLS_* settings, with every file read and parsed here so that a
 * wrong path, a file that is not PEM, or a certificate without its key stops the process at start-up
 * naming the variable, instead of surfacing later as a failed handshake.
 */
function temporalTlsFrom(e: z.infer<typeof envSchema>): TemporalTlsConfig | undefined {
  const fail = (message: string): never => {
    throw new ConfigError(`invalid configuration: ${message}`);
  };
  const anyTlsSetting = Boolean(e.TEMPORAL_TLS_CA_FILE || e.TEMPORAL_TLS_CERT_FILE || e.TEMPORAL_TLS_KEY_FILE || e.TEMPORAL_TLS_SERVER_NAME);
  if (e.TEMPORAL_TLS === false) {
    if (anyTlsSetting) fail('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* files or server name that are set');
    // A bearer key over plaintext is readable by anyone on the path: refuse rather than leak it.
    if (e.TEMPORAL_API_KEY) fail('TEMPORAL_API_KEY needs TLS; it would be sent in the clear with TEMPORAL_TLS=false');
    return undefined;
  }
  if (!e.TEMPORAL_TLS && !anyTlsSetting && !e.TEMPORAL_API_KEY) return undefined;
  if (Boolean(e.TEMPORAL_TLS_CERT_FILE) !== Boolean(e.TEMPORAL_TLS_KEY_FILE)) {
    fail('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE must be set together (a client certificate and its key)');
  }
  const read = (variable: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      return fail(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  };
  const certificate = (variable: string, file: string): { pem: Buffer; x509: X509Certificate } => {
    const pem = read(variable, file);
    try {
      return { pem, x509: new X509Certificate(pem) };
    } catch {
      return fail(`${variable}: ${file} is not a PEM certificate`);
    }
  };
  const tls: TemporalTlsConfig = { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME, files: {} };
  if (e.TEMPORAL_TLS_CA_FILE) {
    tls.serverRootCACertificate = certificate('TEMPORAL_TLS_CA_FILE', e.TEMPORAL_TLS_CA_FILE).pem;
    tls.files.ca = e.TEMPORAL_TLS_CA_FILE;
  }
  if (e.TEMPORAL_TLS_CERT_FILE && e.TEMPORAL_TLS_KEY_FILE) {
    const cert = certificate('TEMPORAL_TLS_CERT_FILE', e.TEMPORAL_TLS_CERT_FILE);
    const key = read('TEMPORAL_TLS_KEY_FILE', e.TEMPORAL_TLS_KEY_FILE);
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      return fail(`TEMPORAL_TLS_KEY_FILE: ${e.TEMPORAL_TLS_KEY_FILE} is not a PEM private key (an encrypted key is not supported)`);
    }
    if (!cert.x509.checkPrivateKey(privateKey)) {
      fail(`TEMPORAL_TLS_KEY_FILE: ${e.TEMPORAL_TLS_KEY_FILE} is not the key of the certificate in TEMPORAL_TLS_CERT_FILE`);
    }
    tls.clientCertPair = { crt: cert.pem, key: new Secret(key) };
    tls.files.cert = e.TEMPORAL_TLS_CERT_FILE;
    tls.files.key = e.TEMPORAL_TLS_KEY_FILE;
  }
  return tls;
}
