/**
 * The two ways safe-download takes a response body: into one buffer, or into a file. Both count the
 * bytes as they arrive and stop as soon as they pass the limit, whatever Content-Length claimed.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ImageTooLargeError } from '../../errors';

export interface ResponseBody {
  chunks: AsyncIterable<Buffer>;
  /** Content-Length, already checked against maxBytes; undefined when the server sent none. */
  announced: number | undefined;
  maxBytes: number;
  /** Named in the error message. */
  host: string;
  /** Total bytes received so far. */
  onProgress(bytes: number): void;
}

/** First buffer for a body of unannounced length; doubled as needed, up to the limit. */
const INITIAL_BUFFER_BYTES = 64 * 1024;

/**
 * Collects the body into one buffer sized from Content-Length (or doubled from a small start when
 * there is none, or when the server sent more than it announced), so an image is held once, not as
 * its chunks plus their concatenation.
 */
export async function readBodyWithin(body: ResponseBody): Promise<Buffer> {
  let data = Buffer.allocUnsafe(body.announced ?? INITIAL_BUFFER_BYTES);
  let received = 0;
  for await (const chunk of limited(body)) {
    if (received + chunk.length > data.length) {
      const grown = Buffer.allocUnsafe(Math.min(body.maxBytes, Math.max(2 * data.length, received + chunk.length)));
      data.copy(grown, 0, 0, received);
      data = grown;
    }
    chunk.copy(data, received);
    received += chunk.length;
  }
  // Doubling can leave up to half the buffer unused: then a trimmed copy, so the spare is not kept alive.
  return data.length - received <= data.length / 8 ? data.subarray(0, received) : Buffer.from(data.subarray(0, received));
}

/** Writes the body to `file` (created or replaced); removes the file if anything fails. Returns the bytes written. */
export async function writeBodyWithin(body: ResponseBody, file: string): Promise<number> {
  let received = 0;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of limited(body)) {
      received += chunk.length;
      yield chunk;
    }
  };
  try {
    await pipeline(counted(), createWriteStream(file));
  } catch (err) {
    await fs.rm(file, { force: true }).catch(() => undefined);
    throw err;
  }
  return received;
}

/** The body's chunks, cut with ImageTooLargeError at the first one that passes maxBytes. */
async function* limited(body: ResponseBody): AsyncGenerator<Buffer> {
  let received = 0;
  for await (const chunk of body.chunks) {
    received += chunk.length;
    if (received > body.maxBytes) {
      // Leaving the loop destroys the body; the caller's agent.destroy() then closes the socket.
      throw new ImageTooLargeError(`${body.host} sent more than the ${body.maxBytes}-byte limit`);
    }
    yield chunk;
    body.onProgress(received);
  }
}
