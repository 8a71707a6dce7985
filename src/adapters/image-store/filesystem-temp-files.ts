/**
 * Crash-safe writes for the filesystem image store: a blob is written to a temp file
 * `.<name>~<hex>.tmp` beside its target, fsynced, then renamed over it, so a reader never sees a torn
 * blob; what a process killed in between leaves behind is found again by its name and removed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { hasCode, isAbsent } from './filesystem-errors';
import { META_SUFFIX } from './image-keys';

export interface TempFile {
  path: string;
  /** Open for writing; fsynced and closed after the fill. */
  handle: fs.FileHandle;
}

/**
 * A temp file in the target's own directory (so rename is atomic), filled and fsynced; removed if
 * anything fails. The temp name contains `~`, which no key may, so it can never collide with a blob.
 */
export async function writeTempFile(target: string, fill: (temp: TempFile) => Promise<void>): Promise<string> {
  const dir = path.dirname(target);
  const tempPath = path.join(dir, `.${path.basename(target)}~${randomBytes(6).toString('hex')}.tmp`);
  const handle = await openTempFile(dir, tempPath);
  try {
    try {
      await fill({ path: tempPath, handle });
      // A fill by path (copyFile) wrote to the same file, which this handle still refers to.
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw err;
  }
  return tempPath;
}

/** Renames a filled temp file over its target; removes it if that fails. */
export async function commitTempFile(tempPath: string, target: string): Promise<void> {
  try {
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

/** Temp files of `.<name>~<hex>.tmp` for the blob and for its meta file (see writeTempFile). */
export async function removeTempFilesOf(blobPath: string): Promise<void> {
  const dir = path.dirname(blobPath);
  const name = path.basename(blobPath);
  const prefixes = [`.${name}~`, `.${name}${META_SUFFIX}~`];
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if (isAbsent(err)) return;
    throw err;
  }
  const temps = entries.filter((entry) => entry.endsWith('.tmp') && prefixes.some((p) => entry.startsWith(p)));
  await Promise.all(temps.map((entry) => unlinkIfPresent(path.join(dir, entry))));
}

/** Makes the renames themselves durable; best effort where directories cannot be fsynced. */
export async function syncDirectory(dir: string): Promise<void> {
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

export async function unlinkIfPresent(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}
