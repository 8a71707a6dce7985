/**
 * Where the S3 store keeps a blob's metadata. The content type is always the object's own
 * Content-Type. The caller's metadata rides on the object as S3 user metadata when it fits, so
 * storing a blob is one request; otherwise it goes, with the content type, in the sidecar object
 * `<key>.meta.json` that earlier versions wrote for every blob, and the object carries none.
 *
 * User metadata travels as HTTP headers, so the JSON is base64url-encoded (prompts are in any
 * script), and AWS caps it at 2 KB per object, counted as the UTF-8 bytes of every key and value.
 * Readers look at the object first: metadata on it is the truth (a sidecar beside it is stale, left
 * by an earlier write, and is removed with the blob); an object without any is read from its sidecar.
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { contentTypeFromKey, META_SUFFIX } from './image-keys';
import type { PutOptions } from './image-store';
import { serialiseMetaFile, type MetaFile } from './meta-sidecar';
import type { S3Bucket } from './s3-cleanup';

/** Sent as the header `x-amz-meta-refinery-metadata`; S3 returns user-metadata keys in lower case. */
export const METADATA_KEY = 'refinery-metadata';
/** AWS's limit on an object's user metadata; other S3 servers allow as much or more. */
export const USER_METADATA_LIMIT_BYTES = 2048;
/** Counted too, in case a server measures the headers as sent: the limit is then never crossed. */
const HEADER_PREFIX = 'x-amz-meta-';

export interface PlacedMetadata {
  /** The object's user metadata: the encoded metadata, or nothing when it is in the sidecar. */
  objectMetadata: Record<string, string>;
  /** The sidecar's bytes, only when the metadata does not fit on the object. */
  sidecar?: Buffer;
}

/** Decides where a put's metadata goes; serialises it before anything is written, so a bad value cannot leave half a put behind. */
export function placeMetadata(options: PutOptions): PlacedMetadata {
  const encoded = Buffer.from(JSON.stringify(options.metadata ?? {})).toString('base64url');
  if (userMetadataBytes({ [METADATA_KEY]: encoded }) <= USER_METADATA_LIMIT_BYTES) return { objectMetadata: { [METADATA_KEY]: encoded } };
  return { objectMetadata: {}, sidecar: serialiseMetaFile(options) };
}

/** The size of user metadata as AWS measures it (with the header prefix, to err on the safe side). */
export function userMetadataBytes(metadata: Record<string, string>): number {
  return Object.entries(metadata).reduce((sum, [key, value]) => sum + Buffer.byteLength(HEADER_PREFIX + key) + Buffer.byteLength(value), 0);
}

/**
 * A blob's content type and metadata: from the object when it carries them, else from its sidecar;
 * an object with neither (placed by hand) has no metadata and the content type of its object or key.
 * A missing object rejects with the HEAD's NotFound error.
 */
export async function readObjectMetadata({ client, bucket }: S3Bucket, objectKey: string): Promise<MetaFile> {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey }));
  const contentType = head.ContentType ?? contentTypeFromKey(objectKey);
  const onObject = head.Metadata?.[METADATA_KEY];
  if (onObject !== undefined) return { contentType, metadata: JSON.parse(Buffer.from(onObject, 'base64url').toString('utf8')) };
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey + META_SUFFIX }));
    const sidecar = JSON.parse(await answer.Body!.transformToString('utf8')) as Partial<MetaFile>;
    return { contentType: sidecar.contentType ?? contentType, metadata: sidecar.metadata ?? {} };
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return { contentType, metadata: {} };
    throw err;
  }
}
