/**
 * The sidecar `<key>.meta.json` beside a blob: its content type and the caller's metadata. The
 * filesystem store keeps one for every blob; the S3 store only for metadata too large to ride on the
 * object (s3-object-metadata.ts), and reads those of earlier versions, which kept one for every blob.
 */
import type { PutOptions } from './image-store';

export interface MetaFile {
  contentType: string;
  metadata: Record<string, unknown>;
}

/** Serialised before anything is written, so a bad metadata value cannot leave half a put behind. */
export function serialiseMetaFile(options: PutOptions): Buffer {
  const meta: MetaFile = { contentType: options.contentType, metadata: options.metadata ?? {} };
  return Buffer.from(JSON.stringify(meta, null, 2));
}
