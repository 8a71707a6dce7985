/**
 * The S3 store against a real S3-compatible server (SeaweedFS, started by the global setup): the
 * shared ImageStore contract, then its own cases: credentials, a missing bucket, access denied, a
 * server that is down or dies mid-upload, multipart uploads of large images, presigned URLs. Where
 * the metadata goes (on the object, or a sidecar) is s3-object-metadata.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3ImageStore, type S3ImageStoreOptions } from '../../src/adapters/image-store/s3-image-store';
import { StorageMisconfiguredError, StorageUnavailableError } from '../../src/errors';
import { imageStoreContract } from '../harness/image-store-contract';
import { freePort } from '../harness/ports';
import { S3Server } from '../harness/s3-server';

const BASE_URL = 'http://localhost:8080/images';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const MiB = 1024 * 1024;

const endpoint = process.env.TEST_S3_ENDPOINT!;
const bucket = process.env.TEST_S3_BUCKET!;
const admin = { accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID!, secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY! };
const reader = { accessKeyId: process.env.TEST_S3_READER_ACCESS_KEY_ID!, secretAccessKey: process.env.TEST_S3_READER_SECRET_ACCESS_KEY! };

function storeOptions(overrides: Partial<S3ImageStoreOptions> = {}): S3ImageStoreOptions {
  return {
    bucket,
    prefix: `store-tests/${randomUUID()}`,
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    publicBaseUrl: BASE_URL,
    credentials: admin,
    ...overrides,
  };
}

const raw = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: admin });
afterAll(() => raw.destroy());

async function listRaw(prefix: string): Promise<string[]> {
  const objects = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
  return [
    ...(objects.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)),
    ...(uploads.Uploads ?? []).map((u) => `${u.Key!.slice(prefix.length + 1)} (unfinished upload)`),
  ].sort();
}

/** What a worker killed mid-upload leaves: a multipart upload with a part, never completed. */
async function leaveUnfinishedUpload(objectKey: string): Promise<void> {
  const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey }));
  await raw.send(new UploadPartCommand({ Bucket: bucket, Key: objectKey, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) }));
}

describe('the ImageStore contract', () => {
  imageStoreContract(async () => {
    const options = storeOptions();
    const store = new S3ImageStore(options);
    return {
      store,
      baseUrl: BASE_URL,
      expectedPath: (key) => `s3://${bucket}/${options.prefix}/${key}`,
      listRaw: () => listRaw(options.prefix),
      readRaw: async (key) => {
        const answer = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: `${options.prefix}/${key}` }));
        return Buffer.from(await answer.Body!.transformToByteArray());
      },
      // Metadata rides on the object, or sits in a sidecar when too large: the store's reader finds it either way.
      readMeta: (key) => store.metadataOf(key),
      rawKeysOf: (key) => [key],
      leavePartialWrite: (key) => leaveUnfinishedUpload(`${options.prefix}/${key}`),
      close: () => store.close(),
    };
  });
});

describe('S3 specifics', () => {
  const stores: S3ImageStore[] = [];
  const storeWith = (overrides: Partial<S3ImageStoreOptions> = {}) => {
    const store = new S3ImageStore(storeOptions(overrides));
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  test('a wrong secret key: non-retryable StorageMisconfiguredError naming the credential settings', async () => {
    const store = storeWith({ credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: 'not-the-secret' } });
    for (const attempt of [() => store.verify(), () => store.put('a.png', PNG, { contentType: 'image/png' }), () => store.get('a.png')]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageMisconfiguredError);
      expect(err).toMatchObject({ retryable: false, message: expect.stringContaining('AWS_SECRET_ACCESS_KEY') });
      expect((err as Error).message).not.toContain('not-the-secret');
    }
  });

  test('an unknown access key: StorageMisconfiguredError naming AWS_ACCESS_KEY_ID', async () => {
    const store = storeWith({ credentials: { accessKeyId: 'AKNOBODYKNOWSTHIS', secretAccessKey: 'whatever-secret' } });
    const err = await store.verify().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StorageMisconfiguredError);
    expect((err as Error).message).toContain('AWS_ACCESS_KEY_ID');
  });

  test('a missing bucket: StorageMisconfiguredError naming S3_BUCKET, at start-up and on a put', async () => {
    const store = storeWith({ bucket: `no-such-bucket-${randomBytes(4).toString('hex')}` });
    for (const attempt of [() => store.verify(), () => store.put('a.png', PNG, { contentType: 'image/png' })]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageMisconfiguredError);
      expect(err).toMatchObject({ retryable: false, message: expect.stringContaining('S3_BUCKET') });
    }
  });

  test('credentials that may only read: access denied at the start-up check and on a put', async () => {
    const store = storeWith({ credentials: reader });
    for (const attempt of [() => store.verify(), () => store.put('a.png', PNG, { contentType: 'image/png' })]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageMisconfiguredError);
      expect(err).toMatchObject({ retryable: false, message: expect.stringMatching(/denied.*AWS_ACCESS_KEY_ID/) });
    }
  });

  test('nothing listening at the endpoint: retryable StorageUnavailableError', async () => {
    const store = storeWith({ endpoint: `http://127.0.0.1:${await freePort()}` });
    for (const attempt of [() => store.verify(), () => store.put('a.png', PNG, { contentType: 'image/png' }), () => store.get('a.png')]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err).toMatchObject({ retryable: true, message: expect.stringContaining('ECONNREFUSED') });
    }
  });

  test('a large image goes up as a multipart upload and comes back byte for byte', async () => {
    const options = storeOptions({ partSizeBytes: 5 * MiB });
    const store = storeWith(options);
    const large = randomBytes(12 * MiB + 123);
    await store.put('refined/u/large.png', large, { contentType: 'image/png', metadata: { taskId: 't', prompt: 'more autumn 🍂' } });

    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: `${options.prefix}/refined/u/large.png` }));
    // A multipart object's ETag is "<md5 of the part md5s>-<number of parts>".
    expect(head.ETag).toMatch(/-3"?$/);
    expect(head.ContentLength).toBe(large.length);
    expect((await store.get('refined/u/large.png')).data.equals(large)).toBe(true);
    // The metadata went up with the multipart upload: on the object, no sidecar.
    expect(await store.metadataOf('refined/u/large.png')).toEqual({ contentType: 'image/png', metadata: { taskId: 't', prompt: 'more autumn 🍂' } });
    expect(await listRaw(options.prefix)).toEqual(['refined/u/large.png']);
  });

  test('a presigned URL fetches the blob from the store itself', async () => {
    const store = storeWith();
    await store.put('refined/u/t.png', PNG, { contentType: 'image/png' });
    const url = await store.presignedGetUrl('refined/u/t.png', 60);
    expect(url.startsWith(`${endpoint}/${bucket}/`)).toBe(true);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(PNG);
    // Unsigned, the same object is refused: the URL's signature is what grants access.
    expect((await fetch(url.split('?')[0]!)).status).toBe(403);
  });
});

/**
 * Answers SeaweedFS cannot be made to give on demand (throttling, a 500, a wrong region), from a real
 * HTTP server on loopback that answers every S3 request with that status and S3 error document.
 */
describe('error answers of an S3 endpoint', () => {
  const cases = [
    { status: 503, code: 'SlowDown', type: StorageUnavailableError, names: 'SlowDown' },
    { status: 500, code: 'InternalError', type: StorageUnavailableError, names: 'InternalError' },
    { status: 503, code: 'ServiceUnavailable', type: StorageUnavailableError, names: 'ServiceUnavailable' },
    { status: 403, code: 'AccessDenied', type: StorageMisconfiguredError, names: 'AWS_ACCESS_KEY_ID' },
    { status: 404, code: 'NoSuchBucket', type: StorageMisconfiguredError, names: 'S3_BUCKET' },
    { status: 301, code: 'PermanentRedirect', type: StorageMisconfiguredError, names: 'S3_REGION' },
    { status: 400, code: 'AuthorizationHeaderMalformed', type: StorageMisconfiguredError, names: 'S3_REGION' },
  ] as const;

  test.each(cases)('$status $code: $type.name naming $names', async ({ status, code, type, names }) => {
    let requests = 0;
    const server = http.createServer((request, response) => {
      requests++;
      request.resume();
      request.on('end', () => {
        response.writeHead(status, { 'content-type': 'application/xml' });
        response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>answered by the test</Message><RequestId>r1</RequestId></Error>`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const store = new S3ImageStore(storeOptions({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
    try {
      for (const attempt of [() => store.put('a.png', PNG, { contentType: 'image/png' }), () => store.get('a.png')]) {
        const err = await attempt().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(type);
        expect(err).toMatchObject({ retryable: type === StorageUnavailableError, message: expect.stringContaining(names) });
      }
      // The start-up check begins with a HEAD, whose answers have no body: only the status tells.
      const err = await store.verify().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toContain(type === StorageUnavailableError ? `HTTP ${status}` : names);
      expect(requests).toBeGreaterThan(0);
    } finally {
      await store.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a server that dies mid-upload', () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await S3Server.start();
    await server.createBucket('dying');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  test('fails the put with a retryable StorageUnavailableError', async () => {
    const store = new S3ImageStore({
      ...storeOptions({ bucket: 'dying', endpoint: server.endpoint, credentials: server.admin, partSizeBytes: 5 * MiB }),
    });
    try {
      await store.verify();
      // Large enough that the upload is still sending parts when the server is killed.
      const put = store.put('refined/u/big.png', randomBytes(60 * MiB), { contentType: 'image/png' });
      const outcome = put.then(() => undefined, (e: unknown) => e);
      // Killed once the multipart upload has begun: mid-upload, not before or after it.
      const watcher = server.client();
      try {
        for (;;) {
          const { Uploads } = await watcher.send(new ListMultipartUploadsCommand({ Bucket: 'dying' }));
          if (Uploads?.length) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        watcher.destroy();
      }
      await server.kill();
      const err = await outcome;
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err).toMatchObject({ retryable: true });
    } finally {
      await store.close();
    }
  });
});
