/** The gateway process: where it listens, who it lets in, its limits, and the web page it serves. */
import path from 'node:path';
import { z } from 'zod';
import { defineConcern } from './concern';
import { DEV_JWT_SECRET, DEV_URL_SIGNING_SECRET } from './development-secrets';
import { downloads } from './downloads';
import { int, secretKey } from './env';

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

const PUBLIC_DEV_SECRET = 'a public local-dev secret (refused in production and off loopback)';

const variables = {
  GATEWAY_PORT: int(0).max(65535).default(8080).describe('Port the gateway listens on.'),
  GATEWAY_HOST: z.string().default('127.0.0.1').describe('Address the gateway listens on; anything but loopback makes it refuse the public development secrets.'),
  NODE_ENV: z.string().optional().describe('`production` makes the gateway refuse the public development secrets and `CODEC_AUTH_DISABLED`, even on loopback.'),
  JWT_SECRET: secretKey().optional().meta({ description: 'HS256 secret of user JWTs, at least 32 characters.', defaultText: PUBLIC_DEV_SECRET }),
  JWT_JWKS_URL: z.string().url().optional().describe("JWKS endpoint of an identity provider (e.g. `https://<project>.supabase.co/auth/v1/.well-known/jwks.json`); wins over `JWT_SECRET`."),
  JWT_ISSUER: z.string().min(1).default('refinery-local').describe('`iss` every token must carry (Supabase: `https://<project>.supabase.co/auth/v1`).'),
  JWT_AUDIENCE: z.string().min(1).default('refinery').describe('`aud` every token must carry (Supabase: `authenticated`).'),
  URL_SIGNING_SECRET: secretKey().optional().meta({ description: 'HMAC key of the signed `/images` links, at least 32 characters.', defaultText: PUBLIC_DEV_SECRET }),
  SIGNED_URL_TTL_SECONDS: int(1).default(3600).describe('Life of a signed image link.'),
  GATEWAY_RATE_LIMIT_MAX: int(1).default(120).describe('Requests per user per window on the `/v1` routes.'),
  GATEWAY_RATE_LIMIT_WINDOW_MS: int(1).default(60_000).describe('The window of `GATEWAY_RATE_LIMIT_MAX`.'),
  GATEWAY_ADDRESS_RATE_LIMIT_MAX: int(1).default(600).describe('Requests per client address per window, counted before authentication (unknown keys, `/images`).'),
  GATEWAY_ADDRESS_RATE_LIMIT_WINDOW_MS: int(1).default(60_000).describe('The window of `GATEWAY_ADDRESS_RATE_LIMIT_MAX`.'),
  GATEWAY_MAX_RUNNING_PER_USER: int(1).default(5).describe('Refinements one user may have running at once.'),
  GATEWAY_CAP_RETRY_AFTER_SECONDS: int(1).default(30).describe('`Retry-After` when the running cap refuses a start: about how long a refinement takes.'),
  GATEWAY_MAX_STREAMS_PER_USER: int(1).default(10).describe('Event streams (SSE) one user may hold open at once per gateway; beyond it a new stream is refused with 429.'),
  GATEWAY_BODY_LIMIT_BYTES: int(1024).default(64 * 1024).describe('Size cap of JSON request bodies; uploads have their own.'),
  GATEWAY_UPLOAD_MAX_BYTES: int(1).optional().meta({ description: 'Size cap of uploaded images, enforced while streaming.', defaultText: '`DOWNLOAD_MAX_BYTES`' }),
  WEB_DIST_DIR: z
    .string()
    .min(1)
    .default('dist/web')
    .describe('The built web page (`npm run build:web`), read when the gateway starts; when it is missing, `/` answers 503 saying how to build it.'),
};

/** Uploads get the same cap as downloaded originals unless set apart. */
const reads = { DOWNLOAD_MAX_BYTES: downloads.variables.DOWNLOAD_MAX_BYTES };

export const gateway = defineConcern({
  title: 'Gateway',
  variables,
  reads,
  options: (e): { gateway: GatewayConfig; web: WebConfig } => ({
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
  }),
});
