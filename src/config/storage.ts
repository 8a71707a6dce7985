/**
 * The image store: a folder, or any S3-compatible object store (credentials from the standard AWS
 * chain), the public base of stored images' URLs, and how the gateway's /images delivers them.
 */
import path from 'node:path';
import { z } from 'zod';
import { defineConcern, type Parsed } from './concern';
import { bool, refuse } from './env';
import { gateway } from './gateway';

/** Which ImageStore holds the blobs, with the settings only that store needs. */
export type ImageStoreConfig = {
  publicBaseUrl: string;
  delivery: 'stream' | 'redirect';
} & (
  | { kind: 'filesystem'; root: string }
  | { kind: 's3'; bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean }
);

const variables = {
  IMAGE_STORE: z.enum(['filesystem', 's3']).default('filesystem').describe('Where images live: `filesystem` (a folder, the embedded default) or `s3` (any S3-compatible object store).'),
  IMAGE_STORE_ROOT: z.string().default('data/images').describe("The filesystem store's folder."),
  PUBLIC_IMAGE_BASE_URL: z.string().url().optional().meta({
    description: "Base of stored images' URLs: where the gateway's `/images` (which serves signed links) is reachable.",
    defaultText: '`http://localhost:<GATEWAY_PORT>/images`',
  }),
  IMAGE_DELIVERY: z
    .enum(['stream', 'redirect'])
    .default('stream')
    .describe("How `/images` answers a valid signed link: `stream` (the gateway streams the bytes from the store) or `redirect` (307 to a presigned URL; `s3` only)."),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)')
    .optional()
    .meta({ description: 'The bucket; it must exist (Refinery never creates buckets).', defaultText: '(none; required with `IMAGE_STORE=s3`)' }),
  S3_PREFIX: z
    .string()
    .default('')
    .transform((v) => v.replace(/^\/+|\/+$/g, ''))
    .refine((v) => v === '' || /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(v), 'must be `/`-separated plain segments')
    .describe('Key prefix inside the bucket (`refinery/prod`), so several deployments can share one bucket.'),
  S3_REGION: z.string().min(1).optional().meta({
    description: 'Signing region; S3-compatible servers mostly accept any.',
    defaultText: '`AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`',
  }),
  S3_ENDPOINT: z.string().url().optional().meta({
    description: 'The S3 API of any store other than AWS S3: SeaweedFS, MinIO, Garage, R2 (`https://<account>.r2.cloudflarestorage.com`).',
    defaultText: '(unset: AWS S3)',
  }),
  S3_FORCE_PATH_STYLE: bool.default(false).describe('`true` addresses the bucket as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>` (most self-hosted servers need it).'),
  AWS_REGION: z.string().min(1).optional().describe("Read only as `S3_REGION`'s fallback, as the AWS SDK itself would."),
  AWS_DEFAULT_REGION: z.string().min(1).optional().describe("Read only as `S3_REGION`'s second fallback, as the AWS SDK itself would."),
};

/** Stored images' URLs default to the gateway's own /images on its port. */
const reads = { GATEWAY_PORT: gateway.variables.GATEWAY_PORT };

export const storage = defineConcern({
  title: 'Image storage',
  variables,
  reads,
  options: (e): { imageStore: ImageStoreConfig } => {
    const publicBaseUrl = (e.PUBLIC_IMAGE_BASE_URL ?? `http://localhost:${e.GATEWAY_PORT}/images`).replace(/\/+$/, '');
    return { imageStore: imageStore(e, publicBaseUrl) };
  },
});

function imageStore(e: Parsed<typeof variables>, publicBaseUrl: string): ImageStoreConfig {
  if (e.IMAGE_STORE === 'filesystem') {
    if (e.IMAGE_DELIVERY === 'redirect') {
      refuse('IMAGE_DELIVERY=redirect needs presigned URLs, which only IMAGE_STORE=s3 has; use IMAGE_DELIVERY=stream');
    }
    return { kind: 'filesystem', root: path.resolve(e.IMAGE_STORE_ROOT), publicBaseUrl, delivery: e.IMAGE_DELIVERY };
  }
  if (!e.S3_BUCKET) return refuse('S3_BUCKET is required when IMAGE_STORE=s3');
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
