/**
 * The configuration: every setting comes from the environment and is validated at start-up. Each
 * concern (./temporal.ts, ./storage.ts, ./gateway.ts...) owns its variables and its typed options;
 * each process loads the concerns it uses, and every problem is reported at once, naming its
 * variable: `invalid configuration: VAR: message; ...`.
 *
 * Rules that span concerns: stored images' URLs default to the gateway's port (storage reads
 * GATEWAY_PORT) and uploads to the download cap (the gateway reads DOWNLOAD_MAX_BYTES); the two
 * checks below refuse the codec server's development switch and the public development secrets
 * where others can reach the gateway.
 */
import { defineCheck, loadConcerns } from './concern';
import { database, type DatabaseConfig } from './database';
import { DEV_JWT_SECRET, DEV_URL_SIGNING_SECRET, DEV_WEBHOOK_SECRET_KEY } from './development-secrets';
import { downloads, type DownloadLimits } from './downloads';
import { codecServer, payloadEncryption, type CodecServerConfig, type EncryptionKey } from './encryption';
import { isLoopbackHost, refuse } from './env';
import { gateway, type GatewayConfig, type WebConfig } from './gateway';
import { observability, type ObservabilityConfig } from './observability';
import { providers, type ConceptProviderConfig, type ProviderCallConfig } from './providers';
import { stages } from './stages';
import { storage, type ImageStoreConfig } from './storage';
import { temporal, type TemporalConnectionConfig } from './temporal';
import { webhooks, type WebhookConfig } from './webhooks';
import { worker, type WorkerConfig } from './worker';
import type { StagePolicyOverrides } from '../workflows/stage-policies';

export { ConfigError, Secret, isLoopbackHost } from './env';
export { DEV_JWT_SECRET, DEV_URL_SIGNING_SECRET, DEV_WEBHOOK_SECRET_KEY } from './development-secrets';
export { KEY_BYTES } from './encryption';
export type { Concern } from './concern';
export type { CodecServerConfig, ConceptProviderConfig, DatabaseConfig, DownloadLimits, EncryptionKey, GatewayConfig, ImageStoreConfig };
export type { ObservabilityConfig, ProviderCallConfig, TemporalConnectionConfig, WebConfig, WebhookConfig, WorkerConfig };
export type { TemporalTlsConfig } from './temporal';

/** Every concern, in the order of the configuration reference (docs/configuration.md). */
export const CONCERNS = [temporal, payloadEncryption, database, storage, downloads, providers, stages, worker, gateway, codecServer, webhooks, observability] as const;

/** Every variable Refinery reads: the deployment files are checked against it (test/deploy). */
export const CONFIG_VARIABLES: readonly string[] = CONCERNS.flatMap((concern) => Object.keys(concern.variables));

export interface Config {
  temporal: TemporalConnectionConfig;
  /** Absent: payloads go to Temporal in clear. */
  payloadEncryption?: { keys: EncryptionKey[] };
  database: DatabaseConfig;
  imageStore: ImageStoreConfig;
  download: DownloadLimits;
  conceptProvider: ConceptProviderConfig;
  provider: ProviderCallConfig;
  stagePolicies: StagePolicyOverrides;
  worker: WorkerConfig;
  gateway: GatewayConfig;
  web: WebConfig;
  codec: CodecServerConfig;
  webhooks: WebhookConfig;
  logLevel: string;
  observability: ObservabilityConfig;
}

/** What every Temporal client and worker connection needs: where Temporal is, and the payload codec's keys. */
export type TemporalClientConfig = Pick<Config, 'temporal' | 'payloadEncryption'>;

/** The codec server's development switch: never in production, never where others can reach it. */
const codecAuthOnlyOffInDevelopment = defineCheck(
  'CODEC_AUTH_DISABLED',
  { CODEC_AUTH_DISABLED: codecServer.variables.CODEC_AUTH_DISABLED, GATEWAY_HOST: gateway.variables.GATEWAY_HOST, NODE_ENV: gateway.variables.NODE_ENV },
  (e) => {
    if (!e.CODEC_AUTH_DISABLED) return;
    if (e.NODE_ENV === 'production') refuse('CODEC_AUTH_DISABLED is refused in production');
    if (!isLoopbackHost(e.GATEWAY_HOST)) refuse('CODEC_AUTH_DISABLED needs GATEWAY_HOST on loopback (127.0.0.1, ::1 or localhost)');
  },
);

/**
 * The development secrets are public, so the gateway refuses them (unset, or set to the public
 * values) in production and whenever it listens on anything but loopback, whatever NODE_ENV says.
 */
const noPublicSecretsWhenExposed = defineCheck(
  'development secrets',
  {
    GATEWAY_HOST: gateway.variables.GATEWAY_HOST,
    NODE_ENV: gateway.variables.NODE_ENV,
    JWT_SECRET: gateway.variables.JWT_SECRET,
    JWT_JWKS_URL: gateway.variables.JWT_JWKS_URL,
    URL_SIGNING_SECRET: gateway.variables.URL_SIGNING_SECRET,
    WEBHOOK_SECRET_KEY: webhooks.variables.WEBHOOK_SECRET_KEY,
  },
  (e) => {
    const exposed = !isLoopbackHost(e.GATEWAY_HOST);
    if (e.NODE_ENV !== 'production' && !exposed) return;
    const missing = [
      !e.JWT_JWKS_URL && (e.JWT_SECRET ?? DEV_JWT_SECRET) === DEV_JWT_SECRET && 'JWT_SECRET (or JWT_JWKS_URL)',
      (e.URL_SIGNING_SECRET ?? DEV_URL_SIGNING_SECRET) === DEV_URL_SIGNING_SECRET && 'URL_SIGNING_SECRET',
      (e.WEBHOOK_SECRET_KEY ?? DEV_WEBHOOK_SECRET_KEY) === DEV_WEBHOOK_SECRET_KEY && 'WEBHOOK_SECRET_KEY',
    ].filter(Boolean);
    if (missing.length === 0) return;
    const why = exposed ? `GATEWAY_HOST=${e.GATEWAY_HOST} is not a loopback address` : 'NODE_ENV=production';
    refuse(`${missing.join(', ')} must be set to a secret of your own (not the public development one): ${why}`);
  },
);

const WORKER = [temporal, payloadEncryption, database, storage, downloads, providers, worker, webhooks, observability] as const;
const GATEWAY = [
  temporal,
  payloadEncryption,
  database,
  storage,
  downloads,
  providers,
  stages,
  gateway,
  codecServer,
  webhooks,
  observability,
  codecAuthOnlyOffInDevelopment,
  noPublicSecretsWhenExposed,
] as const;
const DEV_TOKEN = [gateway, codecServer] as const;
const ADMIN_DATABASE = [database] as const;
const DEPLOY = [temporal] as const;

/** What each process loads (the configuration reference lists it). */
export const PROCESS_CONCERNS = {
  worker: WORKER,
  gateway: GATEWAY,
  '`refinery token`': DEV_TOKEN,
  '`refinery api-key`': ADMIN_DATABASE,
  '`refinery deploy`': DEPLOY,
} as const;

/** Everything, for tests and benchmarks that play every part; without the gateway's fail-closed check. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConcerns(env, [...CONCERNS, codecAuthOnlyOffInDevelopment]);
}

export type WorkerProcessConfig = Pick<
  Config,
  'temporal' | 'payloadEncryption' | 'database' | 'imageStore' | 'download' | 'conceptProvider' | 'provider' | 'worker' | 'webhooks' | 'logLevel' | 'observability'
>;

/** The worker: no gateway settings or secrets, and no stage policies (the starter sends those in each run's input). */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerProcessConfig {
  return loadConcerns(env, WORKER);
}

/** Everything but the worker's own settings. Providers too: the adapters the gateway opens include a concept service. */
export type GatewayProcessConfig = Omit<Config, 'worker'>;

/** The gateway, failing closed on the public development secrets. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayProcessConfig {
  return loadConcerns(env, GATEWAY);
}

/** `refinery token` mints what the gateway verifies, with its operator claim. */
export function loadDevTokenConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'gateway' | 'codec'> {
  return loadConcerns(env, DEV_TOKEN);
}

/** `refinery deploy ...` talks to Temporal only (the Worker Deployment's routing, no payloads). */
export function loadDeployConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'temporal'> {
  return loadConcerns(env, DEPLOY);
}

/** `refinery api-key ...` talks to the database only. */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'database'> {
  return loadConcerns(env, ADMIN_DATABASE);
}
