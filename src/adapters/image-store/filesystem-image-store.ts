/**
 * An ImageStore on a local (or mounted) filesystem. Each blob lives at `<root>/<key>`, with its
 * content type and metadata in `<root>/<key>.meta.json` beside it. Writes go to a temp file
 * `.<name>~<hex>.tmp` beside the target and are renamed over it, so a reader never sees a torn blob;
 * a process killed between the two leaves the temp file, which the removals below clean up
 * (filesystem-temp-files.ts).
 */
import { createReadStream, constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StorageMisconfiguredError } from '../../errors';
import { hasCode, isAbsent, toStorageError } from './filesystem-errors';
import { commitTempFile, removeTempFilesOf, syncDirectory, unlinkIfPresent, writeTempFile, type TempFile } from './filesystem-temp-files';
import { assertSafeKey, contentTypeFromKey, isSafeKey, META_SUFFIX } from './image-keys';
import { BlobNotFoundError, type ImageStore, type OpenedBlob, type PutOptions, type StoredObject } from './image-store';
import { serialiseMetaFile, type MetaFile } from './meta-sidecar';

export class FilesystemImageStore implements ImageStore {
  private readonly root: string;
  private readonly publicBaseUrl: string;

  constructor({ root, publicBaseUrl }: { root: string; publicBaseUrl: string }) {
    this.root = path.resolve(root);
    this.publicBaseUrl = publicBaseUrl.replace(/\/+$/, '');
  }

  async put(key: string, data: Buffer, options: PutOptions): Promise<StoredObject> {
    return this.write(key, options, (temp) => temp.handle.writeFile(data));
  }

  async putFile(key: string, file: string, options: PutOptions): Promise<StoredObject> {
    // copyFile copies in the kernel: the bytes never enter this process.
    return this.write(key, options, (temp) => fs.copyFile(file, temp.path));
  }

  async copy(from: string, to: string, options: PutOptions): Promise<StoredObject> {
    try {
      return await this.putFile(to, this.pathFor(from), options);
    } catch (err) {
      if (isAbsent(err) && !(await this.exists(from))) throw new BlobNotFoundError(from);
      throw err;
    }
  }

  /**
   * The blob's bytes go to a temp file beside it (`fill`), then its metadata is committed, then the
   * blob: once the blob (the thing `exists`/`get` look at) appears, its meta is already there, and a
   * fill that fails (an absent copy source) leaves nothing behind.
   */
  private async write(key: string, options: PutOptions, fill: (temp: TempFile) => Promise<void>): Promise<StoredObject> {
    const blobPath = this.pathFor(key);
    const metaJson = serialiseMetaFile(options);
    try {
      const blobTemp = await writeTempFile(blobPath, fill);
      try {
        await commitTempFile(await writeTempFile(blobPath + META_SUFFIX, (temp) => temp.handle.writeFile(metaJson)), blobPath + META_SUFFIX);
        await commitTempFile(blobTemp, blobPath);
      } catch (err) {
        await fs.rm(blobTemp, { force: true }).catch(() => undefined);
        throw err;
      }
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

  async getFile(key: string, file: string): Promise<{ contentType: string; bytes: number }> {
    const blobPath = this.pathFor(key);
    try {
      await fs.copyFile(blobPath, file);
    } catch (err) {
      if (isAbsent(err) && !(await this.exists(key))) throw new BlobNotFoundError(key);
      throw toStorageError(err, `read ${key}`);
    }
    const { size } = await fs.stat(file);
    return { contentType: await this.readContentType(blobPath), bytes: size };
  }

  async open(key: string): Promise<OpenedBlob> {
    const blobPath = this.pathFor(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(blobPath, 'r');
    } catch (err) {
      if (isAbsent(err)) throw new BlobNotFoundError(key);
      throw toStorageError(err, `read ${key}`);
    }
    try {
      const { size } = await handle.stat();
      const contentType = await this.readContentType(blobPath);
      // The stream owns the handle from here: it closes it when it ends or is destroyed.
      return { stream: createReadStream('', { fd: handle }), contentType, size };
    } catch (err) {
      await handle.close();
      throw toStorageError(err, `read ${key}`);
    }
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
        await removeTempFilesOf(blobPath);
        await this.pruneEmptyDirectories(path.dirname(blobPath));
      } catch (err) {
        throw toStorageError(err, `remove ${keys[i]}`);
      }
    }
    return removed;
  }

  async removePartialWrites(keys: string[]): Promise<void> {
    const blobPaths = keys.map((key) => this.pathFor(key));
    for (const [i, blobPath] of blobPaths.entries()) {
      try {
        await removeTempFilesOf(blobPath);
        await this.pruneEmptyDirectories(path.dirname(blobPath));
      } catch (err) {
        throw toStorageError(err, `remove partial writes of ${keys[i]}`);
      }
    }
  }

  async removePrefix(prefix: string): Promise<void> {
    const dir = this.pathFor(prefix);
    try {
      // The folder, temp files and all: whatever a writer killed at any moment left in it.
      await fs.rm(dir, { recursive: true, force: true });
      await this.pruneEmptyDirectories(path.dirname(dir));
    } catch (err) {
      throw toStorageError(err, `remove ${prefix}/`);
    }
  }

  keyOfPath(blobPath: string): string | undefined {
    const relative = path.relative(this.root, blobPath);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    const key = relative.split(path.sep).join('/');
    return isSafeKey(key) ? key : undefined;
  }

  async verify(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, fsConstants.R_OK | fsConstants.W_OK);
    } catch (err) {
      if (hasCode(err, 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST')) {
        throw new StorageMisconfiguredError(`image store root ${this.root} is not a writable folder`, ['IMAGE_STORE_ROOT'], { cause: err });
      }
      throw toStorageError(err, `open its root ${this.root}`);
    }
  }

  async close(): Promise<void> {}

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
    return contentTypeFromKey(blobPath);
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
