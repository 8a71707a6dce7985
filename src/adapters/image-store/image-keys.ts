/**
 * The rules every image store applies to keys: `/`-separated relative paths of plain segments. They
 * keep a key from escaping a filesystem root, and make keys portable between the stores (an S3 key
 * allowed here is also a valid file path, and the reverse).
 */
import { contentTypeOfExtension } from './image-formats';

export const META_SUFFIX = '.meta.json';
const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;
/** Leaves room for the meta suffix and the temp-file decoration within the usual 255-byte name limit. */
const MAX_SEGMENT_LENGTH = 200;

export class InvalidImageKeyError extends Error {
  constructor(readonly key: unknown) {
    super(`invalid image key ${JSON.stringify(key)}`);
    this.name = 'InvalidImageKeyError';
  }
}

export function isSafeKey(key: string): boolean {
  const segments = typeof key === 'string' ? key.split('/') : [];
  return (
    segments.length > 0 &&
    segments.every((s) => SAFE_SEGMENT.test(s) && s !== '.' && s !== '..' && s.length <= MAX_SEGMENT_LENGTH) &&
    // The meta suffix is reserved so a blob can never overwrite another blob's metadata.
    !key.endsWith(META_SUFFIX)
  );
}

/** Anything else is a caller bug (or a forged URL): throws InvalidImageKeyError. */
export function assertSafeKey(key: string): void {
  if (!isSafeKey(key)) throw new InvalidImageKeyError(key);
}

/** Used when a blob's metadata cannot be read (placed by hand, or a crash between the two writes). */
export function contentTypeFromKey(key: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1];
  return (extension && contentTypeOfExtension(extension)) ?? 'application/octet-stream';
}
