/**
 * The behaviour every ImageStore must have, as one suite that each store's test file runs against a
 * real instance (a temp folder; a prefix in the run's SeaweedFS bucket). A subject exposes the store
 * plus raw views of its storage, so the suite can see what the store's own API hides: where the
 * metadata is, temp files, unfinished multipart uploads.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobNotFoundError, type ImageStore } from '../../src/adapters/image-store/image-store';
import type { MetaFile } from '../../src/adapters/image-store/meta-sidecar';

export interface ContractSubject {
  store: ImageStore;
  baseUrl: string;
  /** Where the store says a key lives (StoredObject.path). */
  expectedPath(key: string): string;
  /** Everything in the store's storage, raw and sorted: blobs, sidecars, temp files, unfinished uploads. */
  listRaw(): Promise<string[]>;
  /** The raw bytes under a storage key, e.g. a `.meta.json` sidecar. */
  readRaw(key: string): Promise<Buffer>;
  /** The content type and metadata stored for a blob. Default: its `.meta.json` sidecar, read raw. */
  readMeta?(key: string): Promise<MetaFile>;
  /** The raw keys one stored blob occupies. Default: the blob and its `.meta.json` sidecar. */
  rawKeysOf?(key: string): string[];
  /** What a writer killed mid-write of `key` leaves behind (a temp file; an unfinished multipart upload). */
  leavePartialWrite(key: string): Promise<void>;
  close(): Promise<void>;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function imageStoreContract(create: () => Promise<ContractSubject>): void {
  let subject: ContractSubject;
  let store: ImageStore;
  const readMeta = async (key: string): Promise<MetaFile> =>
    subject.readMeta ? subject.readMeta(key) : JSON.parse((await subject.readRaw(`${key}.meta.json`)).toString('utf8'));
  /** The raw keys of these stored blobs, sorted. */
  const rawKeysOf = (...keys: string[]): string[] => keys.flatMap((k) => (subject.rawKeysOf ? subject.rawKeysOf(k) : [k, `${k}.meta.json`])).sort();
  /** A local folder for putFile's sources and getFile's targets. */
  let local: string;

  beforeEach(async () => {
    subject = await create();
    store = subject.store;
    local = await fs.mkdtemp(path.join(os.tmpdir(), 'image-store-contract-'));
  });
  afterEach(async () => {
    await subject?.close();
    await fs.rm(local, { recursive: true, force: true });
  });

  describe('put, get and open', () => {
    it('stores a blob and returns where it lives', async () => {
      const stored = await store.put('refined/user-1/task-1.png', PNG, { contentType: 'image/png' });

      expect(stored).toEqual({
        key: 'refined/user-1/task-1.png',
        path: subject.expectedPath('refined/user-1/task-1.png'),
        url: `${subject.baseUrl}/refined/user-1/task-1.png`,
      });
      await expect(store.get('refined/user-1/task-1.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
      await expect(store.exists('refined/user-1/task-1.png')).resolves.toBe(true);
      const opened = await store.open('refined/user-1/task-1.png');
      expect([opened.contentType, opened.size]).toEqual(['image/png', PNG.length]);
      expect(await readStream(opened.stream)).toEqual(PNG);
    });

    it('keeps the content type and metadata with the blob', async () => {
      const metadata = { taskId: 'task-1', userId: 'user-1', refinementPrompt: 'more autumn 🍂, 秋', notes: ['a'.repeat(3000)] };
      await store.put('refined/user-1/task-1.png', PNG, { contentType: 'image/png', metadata });

      expect(await readMeta('refined/user-1/task-1.png')).toEqual({ contentType: 'image/png', metadata });
    });

    it('overwrites an existing key, blob and metadata alike (a retry does not duplicate)', async () => {
      await store.put('a/b.png', PNG, { contentType: 'image/png', metadata: { version: 1 } });
      const replacement = Buffer.from('second version');
      await store.put('a/b.png', replacement, { contentType: 'image/webp', metadata: { version: 2 } });

      await expect(store.get('a/b.png')).resolves.toEqual({ data: replacement, contentType: 'image/webp' });
      expect((await readMeta('a/b.png')).metadata).toEqual({ version: 2 });
      expect(await subject.listRaw()).toEqual(rawKeysOf('a/b.png'));
    });

    it('throws BlobNotFoundError for an absent key, also under a path that is a blob', async () => {
      await store.put('a.png', PNG, { contentType: 'image/png' });

      await expect(store.get('missing.png')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.open('missing.png')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('a.png/inner.png')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.exists('missing.png')).resolves.toBe(false);
      await expect(store.exists('a.png/inner.png')).resolves.toBe(false);
    });

    it('leaves only blobs and their metadata after many writes, including concurrent ones to one key', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.put(`staged/k${i % 4}.png`, Buffer.from(`blob ${i}`), { contentType: 'image/png' })),
      );

      expect(await subject.listRaw()).toEqual(rawKeysOf(...['k0', 'k1', 'k2', 'k3'].map((k) => `staged/${k}.png`)));
      for (const k of ['k0', 'k1', 'k2', 'k3']) {
        expect((await store.get(`staged/${k}.png`)).data.toString()).toMatch(/^blob \d+$/);
      }
    });
  });

  describe('files and copies', () => {
    it('putFile stores a local file as put stores bytes, and leaves the file as it is', async () => {
      const file = path.join(local, 'original');
      await fs.writeFile(file, PNG);
      const metadata = { taskId: 'task-1', notes: ['from a file'] };

      const stored = await store.putFile('staging/t1/original', file, { contentType: 'image/png', metadata });

      expect(stored).toEqual(store.describe('staging/t1/original'));
      await expect(store.get('staging/t1/original')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
      expect(await readMeta('staging/t1/original')).toEqual({ contentType: 'image/png', metadata });
      expect(await fs.readFile(file)).toEqual(PNG);
      expect(await subject.listRaw()).toEqual(rawKeysOf('staging/t1/original'));
    });

    it('putFile overwrites an existing key', async () => {
      await store.put('a/b.png', PNG, { contentType: 'image/png' });
      const file = path.join(local, 'second');
      await fs.writeFile(file, 'second version');

      await store.putFile('a/b.png', file, { contentType: 'image/webp' });

      await expect(store.get('a/b.png')).resolves.toEqual({ data: Buffer.from('second version'), contentType: 'image/webp' });
      expect(await subject.listRaw()).toEqual(rawKeysOf('a/b.png'));
    });

    it('copy stores the blob again under its own content type and metadata, and keeps the source', async () => {
      await store.put('staging/t1/refined', PNG, { contentType: 'image/png', metadata: { staged: true } });
      const metadata = { taskId: 't1', refinementPrompt: 'more autumn 🍂' };

      const stored = await store.copy('staging/t1/refined', 'refined/u/t1.png', { contentType: 'image/png', metadata });

      expect(stored).toEqual(store.describe('refined/u/t1.png'));
      await expect(store.get('refined/u/t1.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
      expect(await readMeta('refined/u/t1.png')).toEqual({ contentType: 'image/png', metadata });
      await expect(store.get('staging/t1/refined')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
      expect((await readMeta('staging/t1/refined')).metadata).toEqual({ staged: true });
    });

    it('copy overwrites the target, and of an absent source throws BlobNotFoundError and stores nothing', async () => {
      await store.put('a.png', Buffer.from('new'), { contentType: 'image/png' });
      await store.put('b.png', PNG, { contentType: 'image/webp', metadata: { version: 1 } });
      await store.copy('a.png', 'b.png', { contentType: 'image/png', metadata: { version: 2 } });
      await expect(store.get('b.png')).resolves.toEqual({ data: Buffer.from('new'), contentType: 'image/png' });

      await expect(store.copy('missing.png', 'c.png', { contentType: 'image/png' })).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await subject.listRaw()).toEqual(rawKeysOf('a.png', 'b.png'));
    });

    it('getFile writes the blob to a local file, replacing what was there, and says what it wrote', async () => {
      await store.put('staging/t1/original', PNG, { contentType: 'image/png' });
      const file = path.join(local, 'original');
      await fs.writeFile(file, 'something longer than the blob, to be replaced');

      await expect(store.getFile('staging/t1/original', file)).resolves.toEqual({ contentType: 'image/png', bytes: PNG.length });
      expect(await fs.readFile(file)).toEqual(PNG);
    });

    it('getFile of an absent key throws BlobNotFoundError without creating the file', async () => {
      const file = path.join(local, 'absent');
      await expect(store.getFile('missing.png', file)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(fs.access(file)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('remove', () => {
    it('deletes blob and metadata, counts the blobs that were there, ignores absent keys', async () => {
      await store.put('refined/user-1/task-1.png', PNG, { contentType: 'image/png' });
      await store.put('refined/user-2/task-2.png', PNG, { contentType: 'image/png' });

      await expect(store.remove(['refined/user-1/task-1.png', 'refined/user-1/absent.png'])).resolves.toBe(1);
      expect(await subject.listRaw()).toEqual(rawKeysOf('refined/user-2/task-2.png'));

      await expect(store.remove(['refined/user-2/task-2.png'])).resolves.toBe(1);
      await expect(store.remove(['refined/user-2/task-2.png'])).resolves.toBe(0);
      await expect(store.remove([])).resolves.toBe(0);
      expect(await subject.listRaw()).toEqual([]);
    });

    it('rejects the whole batch when one key is invalid, removing nothing', async () => {
      await store.put('keep.png', PNG, { contentType: 'image/png' });
      await expect(store.remove(['keep.png', '../escape.png'])).rejects.toThrow(/invalid image key/);
      await expect(store.exists('keep.png')).resolves.toBe(true);
    });

    it('removes what a writer killed mid-write left, with the blob', async () => {
      await store.put('refined/u/t.png', PNG, { contentType: 'image/png' });
      await subject.leavePartialWrite('refined/u/t.png');
      await subject.leavePartialWrite('refined/u/t.png.meta.json');
      expect((await subject.listRaw()).length).toBeGreaterThan(2);

      await expect(store.remove(['refined/u/t.png'])).resolves.toBe(1);
      expect(await subject.listRaw()).toEqual([]);
    });

    it('removePartialWrites keeps the committed blob and its metadata, and nothing else of that key', async () => {
      await store.put('refined/u/t.png', PNG, { contentType: 'image/png' });
      await store.put('refined/u/other.png', PNG, { contentType: 'image/png' });
      await subject.leavePartialWrite('refined/u/t.png');
      await subject.leavePartialWrite('refined/u/t.png.meta.json');

      await store.removePartialWrites(['refined/u/t.png', 'refined/u/absent.webp']);

      expect(await subject.listRaw()).toEqual(rawKeysOf('refined/u/other.png', 'refined/u/t.png'));
      await expect(store.get('refined/u/t.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
    });

    it('removePrefix removes everything under the prefix, partial writes included, and nothing beside it', async () => {
      await store.put('staging/t1/original', PNG, { contentType: 'image/png' });
      await store.put('staging/t1/refined', PNG, { contentType: 'image/png' });
      await store.put('staging/t10/original', PNG, { contentType: 'image/png' });
      await subject.leavePartialWrite('staging/t1/original');
      await subject.leavePartialWrite('staging/t1/never-finished');

      await store.removePrefix('staging/t1');
      await store.removePrefix('staging/absent');

      expect(await subject.listRaw()).toEqual(rawKeysOf('staging/t10/original'));
    });
  });

  describe('keys', () => {
    const invalidKeys = [
      '',
      '/etc/passwd',
      '../outside.png',
      'a/../../outside.png',
      'a/./b.png',
      '..',
      'a//b.png',
      'a/',
      'a\\b.png',
      'spaces are bad.png',
      'percent%2e.png',
      'ünïcode.png',
      'x.png.meta.json',
      `${'a'.repeat(201)}.png`,
    ];

    it.each(invalidKeys)('rejects %j everywhere', async (key) => {
      await expect(store.put(key, PNG, { contentType: 'image/png' })).rejects.toThrow(/invalid image key/);
      await expect(store.putFile(key, path.join(local, 'absent'), { contentType: 'image/png' })).rejects.toThrow(/invalid image key/);
      await expect(store.copy('a.png', key, { contentType: 'image/png' })).rejects.toThrow(/invalid image key/);
      await expect(store.copy(key, 'a.png', { contentType: 'image/png' })).rejects.toThrow(/invalid image key/);
      await expect(store.get(key)).rejects.toThrow(/invalid image key/);
      await expect(store.getFile(key, path.join(local, 'out'))).rejects.toThrow(/invalid image key/);
      await expect(store.open(key)).rejects.toThrow(/invalid image key/);
      await expect(store.exists(key)).rejects.toThrow(/invalid image key/);
      await expect(store.removePrefix(key)).rejects.toThrow(/invalid image key/);
      await expect(store.removePartialWrites([key])).rejects.toThrow(/invalid image key/);
      expect(() => store.describe(key)).toThrow(/invalid image key/);
      expect(await subject.listRaw()).toEqual([]);
    });

    it('describes a key without storing anything, and maps its path back to the key', async () => {
      const described = store.describe('staged/task-1/original.png');
      expect(described).toEqual({
        key: 'staged/task-1/original.png',
        path: subject.expectedPath('staged/task-1/original.png'),
        url: `${subject.baseUrl}/staged/task-1/original.png`,
      });
      expect(store.keyOfPath(described.path)).toBe('staged/task-1/original.png');
      expect(store.keyOfPath('/somewhere/else.png')).toBeUndefined();
      expect(store.keyOfPath('s3://another-bucket/x.png')).toBeUndefined();
      expect(await subject.listRaw()).toEqual([]);
    });
  });

  it('verify passes on a usable store', async () => {
    await expect(store.verify()).resolves.toBeUndefined();
    expect(await subject.listRaw()).toEqual([]);
  });
}
