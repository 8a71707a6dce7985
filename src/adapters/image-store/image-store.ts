/** Where image blobs live: staged originals and refinements, and the published refined images. */
import type { Readable } from 'node:stream';

export interface StoredObject {
  /** Store-relative key, e.g. `refined/<userId>/<taskId>.png`. */
  key: string;
  /** Where the store keeps it: a filesystem path, or `s3://<bucket>/<prefix><key>`. */
  path: string;
  /** Public URL built from the configured base URL. */
  url: string;
}

export interface PutOptions {
  contentType: string;
  /** Stored beside the blob (the refinement's prompt, descriptions, task and user ids). */
  metadata?: Record<string, unknown>;
}

/** A stored blob as a stream, for serving it without holding it in memory. */
export interface OpenedBlob {
  stream: Readable;
  contentType: string;
  /** Bytes, when the store knows them up front. */
  size?: number;
}

export interface ImageStore {
  /** Writes atomically: a reader sees the old blob or the whole new one, never a torn write. Overwrites. */
  put(key: string, data: Buffer, options: PutOptions): Promise<StoredObject>;
  /** Like `put`, with the bytes read from a local file (left as it is) instead of held in memory. */
  putFile(key: string, file: string, options: PutOptions): Promise<StoredObject>;
  /**
   * Stores the blob at `from` again under `to`, with its own content type and metadata, the bytes
   * copied by the store itself where it can. Throws `BlobNotFoundError` when `from` is absent.
   */
  copy(from: string, to: string, options: PutOptions): Promise<StoredObject>;
  /** Throws `BlobNotFoundError` when the key is absent. */
  get(key: string): Promise<{ data: Buffer; contentType: string }>;
  /**
   * Like `get`, into a local file (created or replaced) rather than memory. Throws `BlobNotFoundError`
   * when the key is absent, without creating the file; removes the file when a read fails midway.
   */
  getFile(key: string, file: string): Promise<{ contentType: string; bytes: number }>;
  /** Like `get`, streamed. Throws `BlobNotFoundError` when the key is absent. */
  open(key: string): Promise<OpenedBlob>;
  exists(key: string): Promise<boolean>;
  /**
   * Removes the blobs, their metadata and whatever an interrupted write of either left behind (temp
   * files, unfinished multipart uploads); absent keys are fine. Returns how many blobs were removed.
   */
  remove(keys: string[]): Promise<number>;
  /**
   * Removes only what interrupted writes of these keys left behind, keeping committed blobs: what a
   * completed refinement runs on its published image, whose store stage may have been killed mid-write.
   */
  removePartialWrites(keys: string[]): Promise<void>;
  /** Removes everything under `<prefix>/` (a folder-like key prefix such as `staging/<taskId>`), partial writes included. */
  removePrefix(prefix: string): Promise<void>;
  describe(key: string): StoredObject;
  /** The key a `StoredObject.path` of this store stands for; undefined when it is not one of this store's. */
  keyOfPath(path: string): string | undefined;
  /**
   * Start-up check: resolves when the store is usable; `StorageMisconfiguredError` when a setting is
   * wrong (no such bucket, access denied), `StorageUnavailableError` when it is only unreachable.
   */
  verify(): Promise<void>;
  /** A URL that fetches the blob straight from the store for `expiresInSeconds`; only stores that have them. */
  presignedGetUrl?(key: string, expiresInSeconds: number): Promise<string>;
  /** Releases connections. */
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored blob at ${key}`);
    this.name = 'BlobNotFoundError';
  }
}
