/**
 * Reading an S3 object's body whole, into one buffer or a file, and noticing when it ends short of
 * its Content-Length: a connection cut mid-body, reported as ECONNRESET so that it reads as the
 * network trouble it is (s3-errors.ts).
 */
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Reads a body into one buffer: preallocated when the length is known, so the image is held once,
 * as `fs.readFile` holds it in the filesystem store.
 */
export async function readAll(stream: Readable, length?: number): Promise<Buffer> {
  if (length === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  const data = Buffer.allocUnsafe(length);
  let offset = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    if (offset + bytes.length > length) throw connectionReset('S3 sent more bytes than its Content-Length');
    bytes.copy(data, offset);
    offset += bytes.length;
  }
  if (offset !== length) throw endedShort(offset, length);
  return data;
}

/** Writes a body to `file` (created or replaced); returns the bytes written. */
export async function writeAllToFile(stream: Readable, file: string, length?: number): Promise<number> {
  let bytes = 0;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  };
  await pipeline(counted(), createWriteStream(file));
  if (length !== undefined && bytes !== length) throw endedShort(bytes, length);
  return bytes;
}

function endedShort(received: number, length: number): Error {
  return connectionReset(`S3 body ended after ${received} of ${length} bytes`);
}

function connectionReset(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}
