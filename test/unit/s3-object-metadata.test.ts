/**
 * Where the S3 store keeps a blob's metadata, against the run's real SeaweedFS: on the object (S3 user
 * metadata) when it fits, in a `<key>.meta.json` sidecar when it does not, and the blobs that earlier
 * versions wrote (every blob with a sidecar) still read, copy and are removed whole.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobNotFoundError } from '../../src/adapters/image-store/image-store';
import { S3ImageStore } from '../../src/adapters/image-store/s3-image-store';
import { METADATA_KEY, placeMetadata, USER_METADATA_LIMIT_BYTES, userMetadataBytes } from '../../src/adapters/image-store/s3-object-metadata';
import { refinementMetadata } from '../harness/stored-metadata';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

const endpoint = process.env.TEST_S3_ENDPOINT!;
const bucket = process.env.TEST_S3_BUCKET!;
const credentials = { accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID!, secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY! };
const raw = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });

const REFINEMENT_METADATA = refinementMetadata(1024);
/** Prompts at the length the API allows, in a script of three UTF-8 bytes a character: far past 2 KB. */
const LONG_METADATA = { ...REFINEMENT_METADATA, refinementPrompt: '秋の色'.repeat(600), notes: ['é'.repeat(2500)] };

let prefix: string;
let store: S3ImageStore;
beforeEach(() => {
  prefix = `metadata-tests/${randomUUID()}`;
  store = new S3ImageStore({ bucket, prefix, region: 'us-east-1', endpoint, forcePathStyle: true, publicBaseUrl: 'http://localhost/images', credentials });
});
afterEach(() => store.close());
afterAll(() => raw.destroy());

async function listRaw(): Promise<string[]> {
  const page = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  return (page.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
}

async function headRaw(key: string) {
  return raw.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
}

async function readRaw(key: string): Promise<string> {
  const answer = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
  return answer.Body!.transformToString('utf8');
}

/** The metadata on the object as the server returns it, decoded here rather than by the store. */
function decodeOnObject(metadata: Record<string, string> | undefined): unknown {
  const value = metadata?.[METADATA_KEY];
  return value === undefined ? undefined : JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
}

describe('metadata that fits', () => {
  test('rides on the object, base64url-encoded, and no sidecar is written', async () => {
    await store.put('refined/u/t.png', PNG, { contentType: 'image/png', metadata: REFINEMENT_METADATA });

    const head = await headRaw('refined/u/t.png');
    expect(head.ContentType).toBe('image/png');
    expect(head.Metadata?.[METADATA_KEY]).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeOnObject(head.Metadata)).toEqual(REFINEMENT_METADATA);
    expect(await listRaw()).toEqual(['refined/u/t.png']);
    expect(await store.metadataOf('refined/u/t.png')).toEqual({ contentType: 'image/png', metadata: REFINEMENT_METADATA });
    await expect(store.get('refined/u/t.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
  });

  test('short text in any script fits too, and a put without metadata carries an empty object', async () => {
    const metadata = { refinementPrompt: 'more autumn 🍂, 秋, осень' };
    await store.put('a.png', PNG, { contentType: 'image/png', metadata });
    await store.put('b.png', PNG, { contentType: 'image/png' });

    expect(decodeOnObject((await headRaw('a.png')).Metadata)).toEqual(metadata);
    expect(decodeOnObject((await headRaw('b.png')).Metadata)).toEqual({});
    expect(await listRaw()).toEqual(['a.png', 'b.png']);
  });

  test('metadata exactly at the 2 KB limit is accepted by the server on the object; one byte more goes to a sidecar', async () => {
    const sizeOf = (metadata: Record<string, unknown>) => userMetadataBytes(placeMetadata({ contentType: 'image/png', metadata }).objectMetadata);
    // Padded until the encoded metadata, key included, is exactly the limit.
    let pad = '';
    while (sizeOf({ pad }) < USER_METADATA_LIMIT_BYTES) pad += 'x';
    const atLimit = { metadata: { pad } };
    expect(sizeOf(atLimit.metadata)).toBe(USER_METADATA_LIMIT_BYTES);
    const over = { pad: `${pad}x` };
    expect(placeMetadata({ contentType: 'image/png', metadata: atLimit.metadata }).sidecar).toBeUndefined();
    expect(placeMetadata({ contentType: 'image/png', metadata: over }).sidecar).toBeDefined();

    await store.put('at-limit.png', PNG, { contentType: 'image/png', metadata: atLimit.metadata });
    await store.put('over.png', PNG, { contentType: 'image/png', metadata: over });

    expect(decodeOnObject((await headRaw('at-limit.png')).Metadata)).toEqual(atLimit.metadata);
    expect(await listRaw()).toEqual(['at-limit.png', 'over.png', 'over.png.meta.json']);
    expect((await store.metadataOf('over.png')).metadata).toEqual(over);
  });
});

describe('metadata that does not fit', () => {
  test('goes to the sidecar, with the content type; the object carries none', async () => {
    await store.put('refined/u/t.png', PNG, { contentType: 'image/png', metadata: LONG_METADATA });

    expect(await listRaw()).toEqual(['refined/u/t.png', 'refined/u/t.png.meta.json']);
    expect((await headRaw('refined/u/t.png')).Metadata?.[METADATA_KEY]).toBeUndefined();
    expect(JSON.parse(await readRaw('refined/u/t.png.meta.json'))).toEqual({ contentType: 'image/png', metadata: LONG_METADATA });
    expect(await store.metadataOf('refined/u/t.png')).toEqual({ contentType: 'image/png', metadata: LONG_METADATA });
    await expect(store.get('refined/u/t.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });

    await expect(store.remove(['refined/u/t.png'])).resolves.toBe(1);
    expect(await listRaw()).toEqual([]);
  });

  test('an overwrite whose metadata fits wins over the older sidecar, and removing the blob removes both', async () => {
    await store.put('a.png', PNG, { contentType: 'image/png', metadata: LONG_METADATA });
    await store.put('a.png', PNG, { contentType: 'image/webp', metadata: { version: 2 } });

    expect(await store.metadataOf('a.png')).toEqual({ contentType: 'image/webp', metadata: { version: 2 } });
    // The stale sidecar stays until the blob is removed: deleting it on every put would cost the request saved.
    expect(await listRaw()).toEqual(['a.png', 'a.png.meta.json']);

    // And back: metadata that no longer fits is read from the rewritten sidecar, not the older object metadata.
    await store.put('a.png', PNG, { contentType: 'image/png', metadata: { ...LONG_METADATA, version: 3 } });
    expect((await store.metadataOf('a.png')).metadata).toMatchObject({ version: 3 });

    await expect(store.remove(['a.png'])).resolves.toBe(1);
    expect(await listRaw()).toEqual([]);
  });
});

describe('copies', () => {
  test('carry the new metadata on the target, not the source\'s, and keep the source as it was', async () => {
    await store.put('staging/t1/refined', PNG, { contentType: 'image/png', metadata: { staged: true } });

    await store.copy('staging/t1/refined', 'refined/u/t1.png', { contentType: 'image/png', metadata: REFINEMENT_METADATA });

    const head = await headRaw('refined/u/t1.png');
    expect([head.ContentType, decodeOnObject(head.Metadata)]).toEqual(['image/png', REFINEMENT_METADATA]);
    expect(decodeOnObject((await headRaw('staging/t1/refined')).Metadata)).toEqual({ staged: true });
    expect(await listRaw()).toEqual(['refined/u/t1.png', 'staging/t1/refined']);
    await expect(store.get('refined/u/t1.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
  });

  test('with metadata too large for the object: a sidecar for the target, and none of the source\'s metadata on it', async () => {
    await store.put('staging/t1/refined', PNG, { contentType: 'image/png', metadata: { staged: true } });

    await store.copy('staging/t1/refined', 'refined/u/t1.png', { contentType: 'image/png', metadata: LONG_METADATA });

    expect((await headRaw('refined/u/t1.png')).Metadata?.[METADATA_KEY]).toBeUndefined();
    expect(await store.metadataOf('refined/u/t1.png')).toEqual({ contentType: 'image/png', metadata: LONG_METADATA });
    expect(await listRaw()).toEqual(['refined/u/t1.png', 'refined/u/t1.png.meta.json', 'staging/t1/refined']);
  });

  test.each([
    ['fits on the object', REFINEMENT_METADATA],
    ['needs a sidecar', LONG_METADATA],
  ])('of an absent source, whose metadata %s: BlobNotFoundError and nothing written', async (_, metadata) => {
    const err = await store.copy('staging/t1/refined', 'refined/u/t1.png', { contentType: 'image/png', metadata }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect(err).toMatchObject({ key: 'staging/t1/refined' });
    expect(await listRaw()).toEqual([]);
  });
});

describe('a blob an earlier version wrote (the blob, and its metadata in a sidecar)', () => {
  const metadata = { taskId: 'old-task', userId: 'user-1', refinementPrompt: 'more autumn' };

  /** Exactly what earlier versions stored: a pretty-printed sidecar, then the blob with its Content-Type and no user metadata. */
  async function writeTheOldWay(key: string): Promise<void> {
    const sidecar = JSON.stringify({ contentType: 'image/png', metadata }, null, 2);
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}.meta.json`, Body: sidecar, ContentType: 'application/json' }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: PNG, ContentType: 'image/png' }));
  }

  test('reads: its bytes, content type and metadata', async () => {
    await writeTheOldWay('refined/user-1/old-task.png');

    await expect(store.get('refined/user-1/old-task.png')).resolves.toEqual({ data: PNG, contentType: 'image/png' });
    await expect(store.exists('refined/user-1/old-task.png')).resolves.toBe(true);
    expect(await store.metadataOf('refined/user-1/old-task.png')).toEqual({ contentType: 'image/png', metadata });
  });

  test('copies: the copy carries its metadata on the object', async () => {
    await writeTheOldWay('staging/old-task/refined');

    await store.copy('staging/old-task/refined', 'refined/user-1/old-task.png', { contentType: 'image/png', metadata });

    expect(decodeOnObject((await headRaw('refined/user-1/old-task.png')).Metadata)).toEqual(metadata);
    expect(await listRaw()).toEqual(['refined/user-1/old-task.png', 'staging/old-task/refined', 'staging/old-task/refined.meta.json']);
  });

  test('is removed whole, by key and by prefix', async () => {
    await writeTheOldWay('refined/user-1/old-task.png');
    await writeTheOldWay('staging/old-task/original');

    await expect(store.remove(['refined/user-1/old-task.png'])).resolves.toBe(1);
    await store.removePrefix('staging/old-task');

    expect(await listRaw()).toEqual([]);
  });
});

test('a blob with no metadata anywhere (placed by hand): no metadata, the content type of the object', async () => {
  await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/by-hand.png`, Body: PNG, ContentType: 'image/png' }));
  expect(await store.metadataOf('by-hand.png')).toEqual({ contentType: 'image/png', metadata: {} });
  await expect(store.metadataOf('absent.png')).rejects.toBeInstanceOf(BlobNotFoundError);
});
