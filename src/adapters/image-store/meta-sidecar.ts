/** The sidecar `<key>.meta.json` both image stores keep beside a blob: its content type and the caller's metadata. */
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
