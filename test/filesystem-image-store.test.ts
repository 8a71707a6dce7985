import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FilesystemImageStore } from '../src/adapters/image-store/filesystem-image-store';
import { BlobNotFoundError } from '../src/adapters/image-store/image-store';
import { StorageUnavailableError } from '../src/errors';

const BASE_URL = 'http://localhost:8080/images';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

let root: string;
let store: FilesystemImageStore;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-images-'));
  store = new FilesystemImageStore({ root, publicBaseUrl: `${BASE_URL}/` });
});

afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Every file under the root, as sorted root-relative paths. */
function listFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : [path.relative(root, full)];
    });
  return walk(root).sort();
}

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

describe('put and get', () => {
  it('stores a blob and returns where it lives', async () => {
    const stored = await store.put('refined/user-1/task-1.png', PNG, { contentType: 'image/png' });

    expect(stored).toEqual({
      key: 'refined/user-1/task-1.png',
      path: path.join(root, 'refined', 'user-1', 'task-1.png'),
      url: `${BASE_URL}/refined/user-1/task-1.png`,
    });
    expect(fs.readFileSync(stored.path)).toEqual(PNG);
    await expect(store.get('refined/user-1/task-1.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
    await expect(store.exists('refined/user-1/task-1.png')).resolves.toBe(true);
  });

  it('writes the content type and metadata beside the blob', async () => {
    const metadata = { taskId: 'task-1', userId: 'user-1', refinementPrompt: 'more autumn' };
    await store.put('refined/user-1/task-1.png', PNG, { contentType: 'image/png', metadata });

    const meta = JSON.parse(fs.readFileSync(path.join(root, 'refined/user-1/task-1.png.meta.json'), 'utf8'));
    expect(meta).toEqual({ contentType: 'image/png', metadata });
  });

  it('overwrites an existing key, blob and metadata alike', async () => {
    await store.put('a/b.png', PNG, { contentType: 'image/png', metadata: { version: 1 } });
    const replacement = Buffer.from('second version');
    await store.put('a/b.png', replacement, { contentType: 'image/webp', metadata: { version: 2 } });

    await expect(store.get('a/b.png')).resolves.toEqual({ data: replacement, contentType: 'image/webp' });
    const meta = JSON.parse(fs.readFileSync(path.join(root, 'a/b.png.meta.json'), 'utf8'));
    expect(meta.metadata).toEqual({ version: 2 });
    expect(listFiles()).toEqual(['a/b.png', 'a/b.png.meta.json']);
  });

  it('throws BlobNotFoundError for an absent key, also under a path that is a file', async () => {
    await store.put('a.png', PNG, { contentType: 'image/png' });

    await expect(store.get('missing.png')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.get('a.png/inner.png')).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.exists('missing.png')).resolves.toBe(false);
    await expect(store.exists('a.png/inner.png')).resolves.toBe(false);
  });

  it('falls back to the extension when a blob has no meta file', async () => {
    fs.writeFileSync(path.join(root, 'hand-placed.jpg'), PNG);
    await expect(store.get('hand-placed.jpg')).resolves.toEqual({ data: PNG, contentType: 'image/jpeg' });
  });
});

describe('atomic writes', () => {
  it('leaves no temp files behind after many writes, including concurrent ones to one key', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.put(`staged/k${i % 4}.png`, Buffer.from(`blob ${i}`), { contentType: 'image/png' }),
      ),
    );

    expect(listFiles()).toEqual(
      ['k0', 'k1', 'k2', 'k3'].flatMap((k) => [`staged/${k}.png`, `staged/${k}.png.meta.json`]),
    );
  });

  it('keeps the old blob whole and cleans up when the final rename fails', async () => {
    await store.put('a/b.png', PNG, { contentType: 'image/png' });
    const realRename = fsp.rename;
    jest.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      if (String(to).endsWith('b.png')) throw errnoError('EIO');
      return realRename(from, to);
    });

    const failed = store.put('a/b.png', Buffer.from('torn?'), { contentType: 'image/png' });

    await expect(failed).rejects.toBeInstanceOf(StorageUnavailableError);
    jest.restoreAllMocks();
    await expect(store.get('a/b.png')).resolves.toMatchObject({ data: PNG });
    expect(listFiles()).toEqual(['a/b.png', 'a/b.png.meta.json']);
  });

  it('maps a full disk to StorageUnavailableError (transient)', async () => {
    jest.spyOn(fsp, 'open').mockRejectedValue(errnoError('ENOSPC'));

    const failed = store.put('a.png', PNG, { contentType: 'image/png' });

    await expect(failed).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(failed).rejects.toMatchObject({ retryable: true });
  });

  it('passes other filesystem errors through unchanged', async () => {
    jest.spyOn(fsp, 'open').mockRejectedValue(errnoError('EACCES'));

    await expect(store.put('a.png', PNG, { contentType: 'image/png' })).rejects.toMatchObject({ code: 'EACCES' });
  });
});

describe('remove', () => {
  it('deletes blob and meta, prunes empty folders up to (not including) the root, counts blobs', async () => {
    await store.put('refined/user-1/task-1.png', PNG, { contentType: 'image/png' });
    await store.put('refined/user-2/task-2.png', PNG, { contentType: 'image/png' });

    await expect(store.remove(['refined/user-1/task-1.png', 'refined/user-1/absent.png'])).resolves.toBe(1);

    expect(listFiles()).toEqual(['refined/user-2/task-2.png', 'refined/user-2/task-2.png.meta.json']);
    expect(fs.existsSync(path.join(root, 'refined/user-1'))).toBe(false);

    await expect(store.remove(['refined/user-2/task-2.png'])).resolves.toBe(1);
    expect(fs.readdirSync(root)).toEqual([]);
    expect(fs.existsSync(root)).toBe(true);
  });

  it('never breaks a put that races a remove pruning the same folder', async () => {
    for (let round = 0; round < 30; round++) {
      await store.put(`race/r${round}/old.png`, PNG, { contentType: 'image/png' });
      // The remove empties r<round> and prunes it while the put is recreating it.
      await Promise.all([
        store.remove([`race/r${round}/old.png`]),
        store.put(`race/r${round}/new.png`, PNG, { contentType: 'image/png' }),
      ]);
      await expect(store.get(`race/r${round}/new.png`)).resolves.toMatchObject({ data: PNG });
    }
  });

  it('ignores absent keys', async () => {
    await expect(store.remove(['nothing/here.png', 'nor-here.png'])).resolves.toBe(0);
    await expect(store.remove([])).resolves.toBe(0);
  });

  it('rejects the whole batch when one key is invalid, removing nothing', async () => {
    await store.put('keep.png', PNG, { contentType: 'image/png' });
    await expect(store.remove(['keep.png', '../escape.png'])).rejects.toThrow(/invalid image key/);
    await expect(store.exists('keep.png')).resolves.toBe(true);
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
    await expect(store.get(key)).rejects.toThrow(/invalid image key/);
    await expect(store.exists(key)).rejects.toThrow(/invalid image key/);
    expect(() => store.describe(key)).toThrow(/invalid image key/);
    expect(listFiles()).toEqual([]);
  });

  it('describes a key without touching the disk', () => {
    expect(store.describe('staged/task-1/original.png')).toEqual({
      key: 'staged/task-1/original.png',
      path: path.join(root, 'staged', 'task-1', 'original.png'),
      url: `${BASE_URL}/staged/task-1/original.png`,
    });
    expect(fs.readdirSync(root)).toEqual([]);
  });
});
