/**
 * An ImageStore on a local (or mounted) filesystem. Each blob lives at `<root>/<key>`, with its
 * content type and metadata in `<root>/<key>.meta.json` beside it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StorageUnavailableError } from '../../errors';
import { BlobNotFoundError, type ImageStore, type PutOptions, type StoredObject } from './image-store';

const META_SUFFIX = '.meta.json';
const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;
/** Leaves room for the meta suffix and the temp-file decoration within the usual 255-byte name limit. */
const MAX_SEGMENT_LENGTH = 200;

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

/** Used when a blob has no readable meta file (placed by hand, or a crash between the two renames). */
const CONTENT_TYPE_BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

interface MetaFile {
  contentType: string;
  metadata: Record<string, unknown>;
}

export class FilesystemImageStore implements ImageStore {
  private readonly root: string;
  private readonly publicBaseUrl: string;

  constructor({ root, publicBaseUrl }: { root: string; publicBaseUrl: string }) {
    this.root = path.resolve(root);
    this.publicBaseUrl = publicBaseUrl.replace(/\/+$/, '');
  }

  async put(key: string, data: Buffer, options: PutOptions): Promise<StoredObject> {
    const blobPath = this.pathFor(key);
    // Serialise before touching the disk so a bad metadata value cannot leave half a put behind.
    const meta: MetaFile = { contentType: options.contentType, metadata: options.metadata ?? {} };
    const metaJson = Buffer.from(JSON.stringify(meta, null, 2));
    try {
      // Meta first: once the blob (the thing `exists`/`get` look at) appears, its meta is already there.
      await writeFileAtomically(blobPath + META_SUFFIX, metaJson);
      await writeFileAtomically(blobPath, data);
      await syncDirectory(path.dirname(blobPath));
    } catch (err) {
      throw toStorageError(err, `store ${key}`);
    }
    return this.describe(key);
  }

  async get(key: string): Promise<{ data: Buffer; contentType: string }> {
    const blobPath = this.pathFor(key);
    let data: Buffer;
    try {
      data = await fs.readFile(blobPath);
    } catch (err) {
      if (isAbsent(err)) throw new BlobNotFoundError(key);
      throw toStorageError(err, `read ${key}`);
    }
    return { data, contentType: await this.readContentType(blobPath) };
  }

  async exists(key: string): Promise<boolean> {
    const blobPath = this.pathFor(key);
    try {
      return (await fs.stat(blobPath)).isFile();
    } catch (err) {
      if (isAbsent(err)) return false;
      throw toStorageError(err, `check ${key}`);
    }
  }

  async remove(keys: string[]): Promise<number> {
    // Validate every key up front so a bad one in the middle does not leave a partial removal.
    const blobPaths = keys.map((key) => this.pathFor(key));
    let removed = 0;
    for (const [i, blobPath] of blobPaths.entries()) {
      try {
        if (await unlinkIfPresent(blobPath)) removed++;
        await unlinkIfPresent(blobPath + META_SUFFIX);
        await this.pruneEmptyDirectories(path.dirname(blobPath));
      } catch (err) {
        throw toStorageError(err, `remove ${keys[i]}`);
      }
    }
    return removed;
  }

  describe(key: string): StoredObject {
    return { key, path: this.pathFor(key), url: `${this.publicBaseUrl}/${key}` };
  }

  /** Validates the key and resolves it under the root. */
  private pathFor(key: string): string {
    assertSafeKey(key);
    const resolved = path.resolve(this.root, ...key.split('/'));
    // Belt and braces: the segment rules already make escaping the root impossible.
    if (!resolved.startsWith(this.root + path.sep)) throw new Error(`image key ${JSON.stringify(key)} escapes the store root`);
    return resolved;
  }

  private async readContentType(blobPath: string): Promise<string> {
    try {
      const meta = JSON.parse(await fs.readFile(blobPath + META_SUFFIX, 'utf8')) as Partial<MetaFile>;
      if (typeof meta.contentType === 'string') return meta.contentType;
    } catch (err) {
      if (!isAbsent(err) && !(err instanceof SyntaxError)) throw toStorageError(err, `read metadata of ${blobPath}`);
    }
    return CONTENT_TYPE_BY_EXTENSION[path.extname(blobPath).toLowerCase()] ?? 'application/octet-stream';
  }

  /** Keeps the tree tidy after removals: walks up from `dir`, deleting empty folders, never the root. */
  private async pruneEmptyDirectories(dir: string): Promise<void> {
    for (let current = dir; current.startsWith(this.root + path.sep); current = path.dirname(current)) {
      try {
        await fs.rmdir(current);
      } catch (err) {
        if (isAbsent(err)) continue;
        if (hasCode(err, 'ENOTEMPTY', 'EEXIST')) return;
        throw err;
      }
    }
  }
}

/** Keys are `/`-separated relative paths of plain segments; anything else is a caller bug. */
export function assertSafeKey(key: string): void {
  const segments = typeof key === 'string' ? key.split('/') : [];
  const valid =
    segments.length > 0 &&
    segments.every(
      (s) => SAFE_SEGMENT.test(s) && s !== '.' && s !== '..' && s.length <= MAX_SEGMENT_LENGTH,
    ) &&
    // The meta suffix is reserved so a blob can never overwrite another blob's metadata.
    !key.endsWith(META_SUFFIX);
  if (!valid) throw new Error(`invalid image key ${JSON.stringify(key)}`);
}

/**
 * Temp file in the target's own directory (so rename is atomic), fsync, then rename over the target.
 * The temp name contains `~`, which no key may, so it can never collide with a stored blob.
 */
async function writeFileAtomically(target: string, data: Buffer): Promise<void> {
  const dir = path.dirname(target);
  const tempPath = path.join(dir, `.${path.basename(target)}~${randomBytes(6).toString('hex')}.tmp`);
  const handle = await openTempFile(dir, tempPath);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tempPath, target);
  } catch (err) {
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * A concurrent `remove` may prune the folder between our mkdir and open (it is empty at that
 * moment), so an ENOENT here means "make the folder again", a few times.
 */
async function openTempFile(dir: string, tempPath: string): Promise<fs.FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await fs.mkdir(dir, { recursive: true });
    try {
      return await fs.open(tempPath, 'wx', 0o644);
    } catch (err) {
      if (!hasCode(err, 'ENOENT') || attempt >= 3) throw err;
    }
  }
}

/** Makes the renames themselves durable; best effort where directories cannot be fsynced. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!hasCode(err, 'EISDIR', 'EINVAL', 'EPERM', 'EBADF')) throw err;
  } finally {
    await handle?.close();
  }
}

async function unlinkIfPresent(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}

/** ENOTDIR: a segment of the key is a file, so the key itself cannot exist. */
function isAbsent(err: unknown): boolean {
  return hasCode(err, 'ENOENT', 'ENOTDIR');
}

function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && codes.includes(code);
}

/** Transient filesystem trouble becomes StorageUnavailableError; anything else stays as it is. */
function toStorageError(err: unknown, action: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && TRANSIENT_FS_CODES.has(code)) {
    return new StorageUnavailableError(`image store could not ${action}: ${code}`, { cause: err });
  }
  return err;
}
