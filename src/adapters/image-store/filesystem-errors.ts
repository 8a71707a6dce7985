/** What a filesystem error means to the image store: an absent blob, trouble worth retrying, or neither. */
import { StorageUnavailableError } from '../../errors';

/** Errors after which the same operation may well succeed later (disk freed, fds released, NFS back). */
const TRANSIENT_FS_CODES = new Set([
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EINTR',
  'ETIMEDOUT',
  'ESTALE',
  'ENOMEM',
]);

/** ENOTDIR: a segment of the key is a file, so the key itself cannot exist. */
export function isAbsent(err: unknown): boolean {
  return hasCode(err, 'ENOENT', 'ENOTDIR');
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && codes.includes(code);
}

/** Transient filesystem trouble becomes StorageUnavailableError; anything else stays as it is. */
export function toStorageError(err: unknown, action: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && TRANSIENT_FS_CODES.has(code)) {
    return new StorageUnavailableError(`image store could not ${action}: ${code}`, { cause: err });
  }
  return err;
}
