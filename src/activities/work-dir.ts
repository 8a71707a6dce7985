/**
 * A private local folder for one stage attempt. Images pass through files in it rather than through
 * memory (the stores, sharp and the download all read and write files a strip or a chunk at a time),
 * so a 20 MB image does not cost the worker several 20 MB buffers. Removed when the attempt ends,
 * however it ends.
 *
 * A worker killed mid-attempt cannot remove its folder, so each folder is named after its process
 * (`refinery-<stage>-<pid>-<random>`) and the first attempt of every later process on the host
 * removes the folders of processes that no longer run. That assumes the processes sharing a temp
 * directory see each other's pids, as on one host or in one container (each has its own /tmp).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const FOLDER = /^refinery-[a-z]+-(\d+)-[A-Za-z0-9]+$/;

let sweep: Promise<void> | undefined;

export async function withWorkDir<T>(stage: string, work: (dir: string) => Promise<T>): Promise<T> {
  sweep ??= removeFoldersOfDeadProcesses(os.tmpdir()).catch(() => undefined);
  await sweep;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `refinery-${stage}-${process.pid}-`));
  try {
    return await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Best effort: a folder it cannot read or remove stays, and never stops an attempt. */
export async function removeFoldersOfDeadProcesses(tmp: string): Promise<void> {
  for (const name of await fs.readdir(tmp)) {
    const pid = Number(FOLDER.exec(name)?.[1]);
    if (!pid || pid === process.pid || isRunning(pid)) continue;
    await fs.rm(path.join(tmp, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
