/**
 * The S3 requests one refinement's stages make, counted against the run's real SeaweedFS: each is a
 * round trip and work for the store, and the count is exact however busy the machine is. The store is
 * called as the stages call it (download, refine, storeImage, then the cleanup of a completed run).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { allPublishedKeys, publishedKey, stagingKey, stagingPrefix } from '../../src/adapters/image-store/key-layout';
import { S3ImageStore } from '../../src/adapters/image-store/s3-image-store';
import { refinementMetadata } from '../harness/stored-metadata';

const METADATA = refinementMetadata(64);

/** Requests by command while `run` runs, from every S3 client in this process (the store's is private). */
async function requestsOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const realSend = S3Client.prototype.send;
  S3Client.prototype.send = function (this: S3Client, command: { constructor: { name: string } }, ...rest: unknown[]) {
    const name = command.constructor.name.replace(/Command$/, '');
    counts[name] = (counts[name] ?? 0) + 1;
    return (realSend as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof realSend;
  try {
    await run();
  } finally {
    S3Client.prototype.send = realSend;
  }
  return counts;
}

test('one refinement: a PUT per staged blob and one CopyObject to publish, the metadata riding on the objects', async () => {
  const store = new S3ImageStore({
    bucket: process.env.TEST_S3_BUCKET!,
    prefix: `request-counts/${randomUUID()}`,
    region: 'us-east-1',
    endpoint: process.env.TEST_S3_ENDPOINT!,
    forcePathStyle: true,
    publicBaseUrl: 'http://localhost/images',
    credentials: { accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID!, secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY! },
  });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 's3-requests-'));
  const original = path.join(dir, 'original');
  await fs.writeFile(original, Buffer.alloc(50_000, 1));
  const taskId = 'task-1';
  try {
    const download = await requestsOf(() => store.putFile(stagingKey(taskId, 'original'), original, { contentType: 'image/png' }));
    const refine = await requestsOf(async () => {
      await store.getFile(stagingKey(taskId, 'original'), path.join(dir, 'read-back'));
      await store.put(stagingKey(taskId, 'refined'), Buffer.alloc(60_000, 2), { contentType: 'image/png' });
    });
    const storeImage = await requestsOf(() =>
      store.copy(stagingKey(taskId, 'refined'), publishedKey('user-1', taskId, 'image/png'), { contentType: 'image/png', metadata: METADATA }),
    );
    const cleanup = await requestsOf(async () => {
      await store.removePrefix(stagingPrefix(taskId));
      await store.removePartialWrites(allPublishedKeys('user-1', taskId));
    });

    // With a sidecar per blob this was 12: a second PutObject per staged blob, and a HeadObject and a PutObject to publish.
    expect({ download, refine, storeImage, cleanup }).toEqual({
      download: { PutObject: 1 },
      refine: { GetObject: 1, PutObject: 1 },
      storeImage: { CopyObject: 1 },
      cleanup: { ListObjectsV2: 1, DeleteObjects: 1, ListMultipartUploads: 2 },
    });
    expect(await store.metadataOf(publishedKey('user-1', taskId, 'image/png'))).toEqual({ contentType: 'image/png', metadata: METADATA });
  } finally {
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
