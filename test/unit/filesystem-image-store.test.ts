/** The filesystem store: the shared ImageStore contract, plus what only a filesystem can do wrong. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FilesystemImageStore } from '../../src/adapters/image-store/filesystem-image-store';
import { StorageMisconfiguredError, StorageUnavailableError } from '../../src/errors';
import { imageStoreContract } from '../harness/image-store-contract';

const BASE_URL = 'http://localhost:8080/images';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** Every file under a root, as sorted root-relative `/`-separated paths. */
function filesUnder(root: string): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : [path.relative(root, full).split(path.sep).join('/')];
    });
  return fs.existsSync(root) ? walk(root).sort() : [];
}

describe('the ImageStore contract', () => {
  imageStoreContract(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-images-'));
    return {
      store: new FilesystemImageStore({ root, publicBaseUrl: `${BASE_URL}/` }),
      baseUrl: BASE_URL,
      expectedPath: (key) => path.join(root, ...key.split('/')),
      listRaw: async () => filesUnder(root),
      readRaw: async (key) => fs.readFileSync(path.join(root, ...key.split('/'))),
      // What writeFileAtomically leaves when its process dies between the temp write and the rename.
      leavePartialWrite: async (key) => {
        const target = path.join(root, ...key.split('/'));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(path.join(path.dirname(target), `.${path.basename(target)}~${randomBytes(6).toString('hex')}.tmp`), 'half');
      },
      close: async () => fs.rmSync(root, { recursive: true, force: true }),
    };
  });
});

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

function listFiles(): string[] {
  return filesUnder(root);
}

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

describe('filesystem specifics', () => {
  it('falls back to the extension when a blob has no meta file', async () => {
    fs.writeFileSync(path.join(root, 'hand-placed.jpg'), PNG);
    await expect(store.get('hand-placed.jpg')).resolves.toEqual({ data: PNG, contentType: 'image/jpeg' });
  });
});

describe('atomic writes', () => {
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

});

describe('start-up check', () => {
  it('creates a missing root; a root that is a file is a misconfiguration naming IMAGE_STORE_ROOT', async () => {
    const fresh = new FilesystemImageStore({ root: path.join(root, 'not', 'yet'), publicBaseUrl: BASE_URL });
    await expect(fresh.verify()).resolves.toBeUndefined();
    expect(fs.statSync(path.join(root, 'not', 'yet')).isDirectory()).toBe(true);

    fs.writeFileSync(path.join(root, 'a-file'), 'x');
    const wrong = new FilesystemImageStore({ root: path.join(root, 'a-file'), publicBaseUrl: BASE_URL });
    const failed = wrong.verify();
    await expect(failed).rejects.toBeInstanceOf(StorageMisconfiguredError);
    await expect(failed).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('IMAGE_STORE_ROOT') });
  });
});
