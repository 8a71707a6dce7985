/**
 * An ImageStore on the S3 API (AWS S3, SeaweedFS, MinIO, Garage, Cloudflare R2). Each blob is the
 * object `<prefix>/<key>`, with its own Content-Type, so reading a blob needs one request. The
 * caller's metadata rides on the object as S3 user metadata when it fits (2 KB), so storing a blob
 * is one request too; a refinement's metadata holds prompts of any length, and what does not fit
 * goes in the sidecar object `<prefix>/<key>.meta.json`, as earlier versions stored all metadata
 * (s3-object-metadata.ts). Removals take the sidecar key along in the same DeleteObjects request.
 *
 * A PUT replaces an object whole, so a reader never sees a torn blob. Large blobs go up as multipart
 * uploads (lib-storage), which S3 keeps, invisible, until completed or aborted: a worker killed mid-
 * upload leaves one behind, so the removals abort the unfinished uploads of their keys too.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BlobNotFoundError, type ImageStore, type OpenedBlob, type PutOptions, type StoredObject } from './image-store';
import { assertSafeKey, isSafeKey, META_SUFFIX } from './image-keys';
import type { MetaFile } from './meta-sidecar';
import { readAll, writeAllToFile } from './s3-bodies';
import { abortUploads, abortUploadsUnder, deleteObjects, type S3Bucket } from './s3-cleanup';
import { toS3StoreError } from './s3-errors';
import { placeMetadata, readObjectMetadata } from './s3-object-metadata';

export interface S3ImageStoreOptions {
  bucket: string;
  /** Key prefix without slashes at either end; '' for the bucket's root. */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  publicBaseUrl: string;
  /** Unset: the standard AWS chain (environment, shared profiles, SSO, container and instance roles). */
  credentials?: S3ClientConfig['credentials'];
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
}

/** 8 MiB parts, two in flight: the parts are views of the caller's buffer, not copies. */
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

export class S3ImageStore implements ImageStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  /** `<prefix>/`, or '' */
  private readonly keyPrefix: string;
  private readonly publicBaseUrl: string;
  private readonly partSize: number;
  private readonly settings: { endpoint?: string; forcePathStyle: boolean };

  constructor(options: S3ImageStoreOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.prefix ? `${options.prefix}/` : '';
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
    this.settings = { endpoint: options.endpoint, forcePathStyle: options.forcePathStyle };
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Temporal retries the stage with its own backoff; the SDK's few quick retries absorb blips.
      maxAttempts: 3,
      // A dead server must fail the call in seconds, not hang the attempt until its heartbeat timeout.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
      // Checksums only where the API requires them: several S3-compatible servers reject the newer
      // default (flexible checksums on every request).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, data: Buffer, options: PutOptions): Promise<StoredObject> {
    const objectKey = this.objectKey(key);
    const { objectMetadata, sidecar } = placeMetadata(options);
    await this.call(`store ${key}`, async () => {
      // A sidecar first: once the blob (the thing `exists`/`get` look at) appears, its metadata is already there.
      if (sidecar) await this.putSidecar(objectKey, sidecar);
      // One PUT below the part size, a multipart upload above it; a failed multipart upload is aborted.
      await new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: objectKey, Body: data, ContentType: options.contentType, Metadata: objectMetadata },
        partSize: this.partSize,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      }).done();
    });
    return this.describe(key);
  }

  /**
   * The file is read into one buffer of its exact size and stored as `put` stores it: the SDK can
   * then replay a request that failed on a blip (it cannot replay a streamed body), and the parts of
   * a multipart upload are views of that buffer, not copies.
   */
  async putFile(key: string, file: string, options: PutOptions): Promise<StoredObject> {
    this.objectKey(key);
    return this.put(key, await fs.readFile(file), options);
  }

  /**
   * A server-side copy: the bytes do not pass through this process. The target gets the new metadata,
   * not the source's (REPLACE). A copy of an absent source fails and writes nothing; when a sidecar
   * must be written first, the source is looked at before it, so that nothing is left then either.
   */
  async copy(from: string, to: string, options: PutOptions): Promise<StoredObject> {
    const source = this.objectKey(from);
    const target = this.objectKey(to);
    const { objectMetadata, sidecar } = placeMetadata(options);
    if (sidecar) await this.call(`check ${from}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: source })), from);
    await this.call(`store ${to}`, async () => {
      if (sidecar) await this.putSidecar(target, sidecar);
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: target,
          // Keys are plain segments (image-keys.ts), so the source needs no further escaping.
          CopySource: `${this.bucket}/${source}`,
          ContentType: options.contentType,
          Metadata: objectMetadata,
          MetadataDirective: 'REPLACE',
        }),
      );
    }, from);
    return this.describe(to);
  }

  async get(key: string): Promise<{ data: Buffer; contentType: string }> {
    const blob = await this.open(key);
    const data = await this.call(`read ${key}`, () => readAll(blob.stream, blob.size));
    return { data, contentType: blob.contentType };
  }

  async getFile(key: string, file: string): Promise<{ contentType: string; bytes: number }> {
    const blob = await this.open(key);
    try {
      const bytes = await this.call(`read ${key}`, () => writeAllToFile(blob.stream, file, blob.size));
      return { contentType: blob.contentType, bytes };
    } catch (err) {
      await fs.rm(file, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async open(key: string): Promise<OpenedBlob> {
    const objectKey = this.objectKey(key);
    const answer = await this.call(`read ${key}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey })), key);
    if (!(answer.Body instanceof Readable)) throw new Error(`S3 answered ${key} without a readable body`);
    return { stream: answer.Body, contentType: answer.ContentType ?? 'application/octet-stream', size: answer.ContentLength };
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      await this.call(`check ${key}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey })), key);
      return true;
    } catch (err) {
      if (err instanceof BlobNotFoundError) return false;
      throw err;
    }
  }

  /** The content type and metadata stored with a blob, wherever this or an earlier version put them. Throws `BlobNotFoundError` when the key is absent. */
  async metadataOf(key: string): Promise<MetaFile> {
    const objectKey = this.objectKey(key);
    return this.call(`read the metadata of ${key}`, () => readObjectMetadata(this.target, objectKey), key);
  }

  async remove(keys: string[]): Promise<number> {
    // Validate every key up front so a bad one in the middle does not leave a partial removal.
    const objectKeys = keys.map((key) => this.objectKey(key));
    if (objectKeys.length === 0) return 0;
    // DeleteObjects reports absent keys as deleted too, so look first to count what was there.
    const present = await Promise.all(keys.map((key) => this.exists(key)));
    await this.call(`remove ${keys.join(', ')}`, async () => {
      // Sidecars are named whether or not there is one: an absent key costs nothing in a multi-delete.
      await deleteObjects(this.target, objectKeys.flatMap((k) => [k, k + META_SUFFIX]));
      await abortUploads(this.target, objectKeys);
    });
    return present.filter(Boolean).length;
  }

  async removePartialWrites(keys: string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key));
    await this.call(`remove partial writes of ${keys.join(', ')}`, () => abortUploads(this.target, objectKeys));
  }

  async removePrefix(prefix: string): Promise<void> {
    const objectPrefix = `${this.objectKey(prefix)}/`;
    await this.call(`remove ${prefix}/`, async () => {
      let token: string | undefined;
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectPrefix, ContinuationToken: token }),
        );
        await deleteObjects(this.target, (page.Contents ?? []).map((o) => o.Key!).filter(Boolean));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      await abortUploadsUnder(this.target, objectPrefix, () => true);
    });
  }

  describe(key: string): StoredObject {
    return { key, path: `s3://${this.bucket}/${this.objectKey(key)}`, url: `${this.publicBaseUrl}/${key}` };
  }

  keyOfPath(path: string): string | undefined {
    const base = `s3://${this.bucket}/${this.keyPrefix}`;
    if (!path.startsWith(base)) return undefined;
    const key = path.slice(base.length);
    return isSafeKey(key) ? key : undefined;
  }

  /**
   * The bucket exists and these credentials may read, write and delete under the prefix: a probe
   * object is written and removed, so a read-only key is caught at start-up, not at the first store.
   */
  async verify(): Promise<void> {
    await this.call('reach the bucket', async () => {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      const probe = `${this.keyPrefix}.refinery-startup-check-${randomUUID()}`;
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: 'ok', ContentType: 'text/plain' }));
      await deleteObjects(this.target, [probe]);
    });
  }

  async presignedGetUrl(key: string, expiresInSeconds: number): Promise<string> {
    const objectKey = this.objectKey(key);
    return this.call(`sign a link to ${key}`, () =>
      getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }), { expiresIn: Math.max(1, expiresInSeconds) }),
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async putSidecar(objectKey: string, sidecar: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: objectKey + META_SUFFIX, Body: sidecar, ContentType: 'application/json' }),
    );
  }

  /** The client and bucket, for s3-cleanup.ts and s3-object-metadata.ts. */
  private get target(): S3Bucket {
    return { client: this.client, bucket: this.bucket };
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return this.keyPrefix + key;
  }

  /** Runs an S3 call, turning its failures into the store's typed errors. */
  private async call<T>(action: string, run: () => Promise<T>, key?: string): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toS3StoreError(err, { action, key, bucket: this.bucket, ...this.settings });
    }
  }
}
