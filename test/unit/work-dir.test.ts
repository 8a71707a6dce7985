/** The per-attempt folders of the stages: removed after the attempt, and after a process that died in one. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { removeFoldersOfDeadProcesses, withWorkDir } from '../../src/activities/work-dir';

const exists = (p: string) => fs.access(p).then(() => true, () => false);

test('an attempt gets a folder of its own in the temp directory, removed when it succeeds or fails', async () => {
  let seen = '';
  await withWorkDir('refine', async (dir) => {
    seen = dir;
    expect(path.dirname(dir)).toBe(os.tmpdir());
    expect(path.basename(dir)).toMatch(new RegExp(`^refinery-refine-${process.pid}-`));
    await fs.writeFile(path.join(dir, 'original'), 'bytes');
  });
  expect(await exists(seen)).toBe(false);

  const failure = new Error('stage failed');
  await expect(
    withWorkDir('download', async (dir) => {
      seen = dir;
      throw failure;
    }),
  ).rejects.toBe(failure);
  expect(await exists(seen)).toBe(false);
});

test('the folders of processes that no longer run are removed, those of running ones and anything else kept', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'work-dir-test-'));
  try {
    // A pid that surely ran and has ended: a child that exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const names = {
      deadWorker: `refinery-refine-${dead}-abc123`,
      liveWorker: `refinery-download-${process.ppid}-def456`,
      ours: `refinery-refine-${process.pid}-ghi789`,
      unrelated: `refinery-stack-${dead}`,
    };
    for (const name of Object.values(names)) {
      await fs.mkdir(path.join(tmp, name));
      await fs.writeFile(path.join(tmp, name, 'original'), 'bytes');
    }

    await removeFoldersOfDeadProcesses(tmp);

    expect((await fs.readdir(tmp)).sort()).toEqual([names.liveWorker, names.ours, names.unrelated].sort());
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
