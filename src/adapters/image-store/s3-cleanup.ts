/**
 * Removing objects from an S3 bucket, and the unfinished multipart uploads that S3 keeps, invisible,
 * until they are completed or aborted (what a worker killed mid-upload leaves behind).
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { META_SUFFIX } from './image-keys';

export interface S3Bucket {
  client: S3Client;
  bucket: string;
}

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

export async function deleteObjects({ client, bucket }: S3Bucket, objectKeys: string[]): Promise<void> {
  for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
    const batch = objectKeys.slice(i, i + DELETE_BATCH);
    const answer = await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
    );
    // A multi-delete answers 200 with per-key errors: surface the first (absent keys are not errors).
    const failed = answer.Errors?.find((e) => e.Code !== 'NoSuchKey');
    if (failed) throw Object.assign(new Error(`could not delete ${failed.Key}: ${failed.Code} ${failed.Message ?? ''}`), { name: failed.Code ?? 'DeleteFailed' });
  }
}

/**
 * Aborts the unfinished multipart uploads of exactly these objects and of their sidecars. One listing
 * per folder, under the keys' longest common prefix there, rather than one per key: a refinement's
 * published keys (one per image type) share `<task id>.`, and each listing is a request to the store.
 */
export async function abortUploads(target: S3Bucket, objectKeys: string[]): Promise<void> {
  const wanted = new Set(objectKeys.flatMap((k) => [k, k + META_SUFFIX]));
  for (const prefix of listingPrefixes(objectKeys)) {
    await abortUploadsUnder(target, prefix, (k) => wanted.has(k));
  }
}

/** For each folder of `objectKeys`, the longest prefix its keys there share (never shorter than the folder). */
function listingPrefixes(objectKeys: string[]): string[] {
  const byFolder = new Map<string, string>();
  for (const key of objectKeys) {
    const folder = key.slice(0, key.lastIndexOf('/') + 1);
    let prefix = byFolder.get(folder) ?? key;
    while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1);
    byFolder.set(folder, prefix);
  }
  return [...byFolder.values()];
}

export async function abortUploadsUnder({ client, bucket }: S3Bucket, prefix: string, matches: (objectKey: string) => boolean): Promise<void> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
    );
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || !matches(upload.Key)) continue;
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId })).catch((err) => {
        // Aborted meanwhile by another cleanup: that is the goal reached.
        if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
      });
    }
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}
