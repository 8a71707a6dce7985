/**
 * The local refiner on large images: a cancel stops a 6000×6000 refinement at once (its pixel work
 * runs in a child process that is killed), the child and the in-process path write the same bytes,
 * and the same file in gives the same bytes out.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { LocalRefiner } from '../../../src/adapters/concept-service/local-refiner';
import { NotAnImageError, PixelLimitExceededError } from '../../../src/errors';
import { foxLogo, foxLogoSvg, stagedRequest } from './images';

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'local-refiner-large-'));
});
afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

/** This process's children running the refiner's child entry, from /proc (Linux only, as in CI). */
function refinerChildren(): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.includes('local-refiner-process')).map((l) => Number(l.trim().split(' ')[0]));
  } catch {
    return [];
  }
}

describe('LocalRefiner on large images', () => {
  it('rejects within a second when cancelled 200 ms into a 6000×6000 refinement, and stops the work', async () => {
    const big = await sharp(Buffer.from(foxLogoSvg({ size: 6000 }))).png({ compressionLevel: 1 }).toBuffer();
    for (const prompt of ['more contrast and warmer', 'make the background dark blue, rotate it slightly and add a thin white border']) {
      const controller = new AbortController();
      const attempt = await stagedRequest(scratch, big, prompt, { signal: controller.signal });
      const reason = new Error('activity cancelled');
      const pending = new LocalRefiner().refine(attempt);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const abortedAt = performance.now();
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      const waited = performance.now() - abortedAt;
      console.log(`local refiner: "${prompt}" on 6000×6000 rejected ${waited.toFixed(0)} ms after the abort`);
      // Generous for a loaded machine: the wait is the kernel ending the child.
      expect(waited).toBeLessThan(1500);
      expect(refinerChildren()).toEqual([]);
    }
  });

  it('writes the same bytes in a child process as in-process, and the same bytes for the same file', async () => {
    const png = await foxLogo({ size: 400 });
    const prompt = 'autumn colours with orange and red, more contrast, make the background dark blue, make the fox bigger, rotate it 10 degrees, add a thin white border';
    const run = async (refiner: LocalRefiner) => {
      const result = await refiner.refine(await stagedRequest(scratch, Buffer.from(png), prompt, { preserveAspects: ['text'] }));
      if (result.kind !== 'file') throw new Error('expected a file');
      return { bytes: await fs.readFile(result.path), outcome: result.outcome };
    };
    const here = await run(new LocalRefiner());
    const again = await run(new LocalRefiner());
    const child = await run(new LocalRefiner({ inProcessMaxPixels: 0 }));
    expect(again.bytes.equals(here.bytes)).toBe(true);
    expect(child.bytes.equals(here.bytes)).toBe(true);
    expect(child.outcome).toEqual(here.outcome);
    expect(here.outcome.applied.length).toBeGreaterThanOrEqual(6);
  });

  it('keeps typed failures from the child process', async () => {
    const refiner = new LocalRefiner({ inProcessMaxPixels: 0 });
    // A readable header sends the work to the child; the truncated body fails there.
    const png = await foxLogo({ size: 300 });
    const truncated = png.subarray(0, png.length / 2);
    await expect(refiner.refine(await stagedRequest(scratch, truncated, 'brighter'))).rejects.toBeInstanceOf(NotAnImageError);
    const small = new LocalRefiner({ inProcessMaxPixels: 0, maxPixels: 1000 });
    await expect(small.refine(await stagedRequest(scratch, png, 'brighter'))).rejects.toBeInstanceOf(PixelLimitExceededError);
  });
});
