/**
 * A private local folder for one stage attempt. Images pass through files in it rather than through
 * memory (the stores, sharp and the download all read and write files a strip or a chunk at a time),
 * so a 20 MB image does not cost the worker several 20 MB buffers. Removed when the attempt ends,
 * however it ends; a worker killed mid-attempt leaves it in the temp folder (named refinery-*).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function withWorkDir<T>(stage: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `refinery-${stage}-`));
  try {
    return await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
