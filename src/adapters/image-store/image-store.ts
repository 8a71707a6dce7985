/** Where image blobs live: staged originals and refinements, and the published refined images. */
export interface StoredObject {
  /** Store-relative key, e.g. `refined/<userId>/<taskId>.png`. */
  key: string;
  /** Where the store keeps it (a filesystem path for the filesystem store). */
  path: string;
  /** Public URL built from the configured base URL. */
  url: string;
}

export interface PutOptions {
  contentType: string;
  /** Stored beside the blob (the refinement's prompt, descriptions, task and user ids). */
  metadata?: Record<string, unknown>;
}

export interface ImageStore {
  /** Writes atomically: a reader sees the old blob or the whole new one, never a torn write. Overwrites. */
  put(key: string, data: Buffer, options: PutOptions): Promise<StoredObject>;
  /** Throws `BlobNotFoundError` when the key is absent. */
  get(key: string): Promise<{ data: Buffer; contentType: string }>;
  exists(key: string): Promise<boolean>;
  /** Removes the blob and its metadata; absent keys are fine. Returns how many blobs were removed. */
  remove(keys: string[]): Promise<number>;
  describe(key: string): StoredObject;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored blob at ${key}`);
    this.name = 'BlobNotFoundError';
  }
}
