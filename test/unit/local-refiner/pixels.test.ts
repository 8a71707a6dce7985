/**
 * The local refiner is judged on pixels: each instruction must move a measurable property of the
 * output in the asked-for direction. Images are tiny so the whole suite stays fast.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { InstructionsNotUnderstoodError, NotAnImageError, PixelLimitExceededError } from '../../../src/errors';
import type { RefineRequest, RefineResult } from '../../../src/adapters/concept-service/concept-service';
import { colouriseMatrix, LocalRefiner } from '../../../src/adapters/concept-service/local-refiner';
const ORANGE = [255, 165, 0] as const;
import { blueGrey, channelStats, checkerboard, colourful, luminance, noisy, photoLike, rawPixels, stagedRequest, translucent } from './images';

/** A folder per request, as the refine stage gives each attempt: the original is written into it. */
let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'local-refiner-test-'));
});
afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

const request = (image: Buffer, refinementPrompt: string, overrides: Partial<RefineRequest> = {}): Promise<RefineRequest> =>
  stagedRequest(scratch, image, refinementPrompt, overrides);

const refiner = new LocalRefiner({ maxPixels: 1_000_000 });

/** The refiner's answer, with the file it wrote read back. */
async function refine(image: Buffer, prompt: string, overrides: Partial<RefineRequest> = {}) {
  const result = await refiner.refine(await request(image, prompt, overrides));
  if (result.kind !== 'file') throw new Error('expected a file result');
  return { ...result, data: await fs.readFile(result.path) };
}

describe('LocalRefiner on pixels', () => {
  it('tints an image that is not made of flat colours toward the palette, and says it could not map them', async () => {
    const original = await noisy();
    const result = await refine(original, 'Make it more autumn-themed with orange and red');
    const before = (await channelStats(original)).mean;
    const after = (await channelStats(result.data)).mean;
    expect(after[0]).toBeGreaterThan(before[0] + 20); // red channel up
    expect(after[2]).toBeLessThan(before[2] - 20); // blue channel down
    // A tint recolours rather than brightening or darkening (up to clipping at the channel ends).
    expect(Math.abs(luminance(after) - luminance(before))).toBeLessThan(8);
    expect(result.outcome.status).toBe('applied');
    expect(result.outcome.applied).toEqual([expect.stringMatching(/^palette → autumn theme, orange \(#ffa500\) and red \(#ff0000\): tinted toward #[0-9a-f]{6} \(the image is not made of a few flat colours/)]);
  });

  it('tints a photo-like image with no colour that repeats (no clusters at all) toward the palette', async () => {
    const original = await photoLike();
    const result = await refine(original, 'Make it more autumn-themed with orange and red');
    const before = (await channelStats(original)).mean;
    const after = (await channelStats(result.data)).mean;
    expect(after[0]).toBeGreaterThan(before[0] + 20);
    expect(after[2]).toBeLessThan(before[2] - 20);
    expect(result.outcome.status).toBe('applied');
  });

  it('raises mean luminance for "brighter" and lowers it for "darker"', async () => {
    const original = await colourful();
    const base = luminance((await channelStats(original)).mean);
    const brighter = luminance((await channelStats((await refine(original, 'brighter')).data)).mean);
    const darker = luminance((await channelStats((await refine(original, 'make it darker')).data)).mean);
    expect(brighter).toBeGreaterThan(base + 10);
    expect(darker).toBeLessThan(base - 10);
  });

  it('makes every pixel neutral for "black and white"', async () => {
    const { data, info } = await rawPixels((await refine(await colourful(), 'black and white please')).data);
    expect(info.channels).toBe(3);
    for (let i = 0; i < data.length; i += 3) {
      expect([data[i + 1], data[i + 2]]).toEqual([data[i], data[i]]);
    }
  });

  it('spreads the channels for "more contrast" and narrows them for "less contrast"', async () => {
    const original = await colourful();
    const spread = async (image: Buffer) => (await channelStats(image)).stdev.reduce((a, b) => a + b);
    const base = await spread(original);
    expect(await spread((await refine(original, 'more contrast')).data)).toBeGreaterThan(base * 1.2);
    expect(await spread((await refine(original, 'less contrast')).data)).toBeLessThan(base * 0.85);
  });

  it('flattens fine detail when asked to blur and keeps it when asked to sharpen', async () => {
    const original = await checkerboard();
    const base = (await channelStats(original)).stdev[0];
    const blurred = (await channelStats((await refine(original, 'soft and blurry')).data)).stdev[0];
    const sharpened = (await channelStats((await refine(original, 'crisper')).data)).stdev[0];
    expect(blurred).toBeLessThan(base * 0.5);
    expect(sharpened).toBeGreaterThanOrEqual(base);
  });

  it('shifts red against blue for warmer and cooler', async () => {
    const original = await blueGrey();
    const redMinusBlue = async (image: Buffer) => {
      const [r, , b] = (await channelStats(image)).mean;
      return r - b;
    };
    const base = await redMinusBlue(original);
    expect(await redMinusBlue((await refine(original, 'warmer')).data)).toBeGreaterThan(base + 10);
    expect(await redMinusBlue((await refine(original, 'cooler')).data)).toBeLessThan(base - 10);
  });

  it('raises and lowers colourfulness for vibrant and muted', async () => {
    const original = await blueGrey();
    const chroma = async (image: Buffer) => {
      const { data } = await rawPixels(image);
      let total = 0;
      for (let i = 0; i < data.length; i += 3) total += Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]);
      return total / (data.length / 3);
    };
    const base = await chroma(original);
    expect(await chroma((await refine(original, 'more vibrant')).data)).toBeGreaterThan(base * 1.15);
    expect(await chroma((await refine(original, 'muted')).data)).toBeLessThan(base * 0.8);
  });

  it('inverts and mirrors exactly', async () => {
    const original = await colourful();
    const source = await rawPixels(original);
    const inverted = await rawPixels((await refine(original, 'invert')).data);
    expect([...inverted.data]).toEqual([...source.data].map((v) => 255 - v));

    const mirrored = await rawPixels((await refine(original, 'mirror it')).data);
    const { width, channels } = source.info;
    const at = (buf: Buffer, x: number, y: number) => [...buf.subarray((y * width + x) * channels, (y * width + x + 1) * channels)];
    expect(at(mirrored.data, 0, 3)).toEqual(at(source.data, width - 1, 3));
  });

  it('gives identical bytes for identical input', async () => {
    const original = await translucent();
    const prompt = 'autumn colours, warmer, more contrast, a bit blurry, vintage';
    const first = await refine(original, prompt);
    const second = await refine(Buffer.from(original), prompt);
    expect(first.data.equals(second.data)).toBe(true);
    expect(first.notes).toEqual(second.notes);
  });

  it('works through files in its folder, leaving there only the original, untouched, and its result', async () => {
    const original = await translucent();
    const attempt = await request(original, 'autumn colours, warmer, more contrast, a bit blurry');
    const result = await refiner.refine(attempt);

    expect(result).toMatchObject({ kind: 'file', contentType: 'image/png' });
    if (result.kind !== 'file') return;
    expect(path.dirname(result.path)).toBe(attempt.workDir);
    expect((await fs.readdir(attempt.workDir)).sort()).toEqual(['local-refiner-result.png', 'original']);
    expect(await fs.readFile(attempt.image.path)).toEqual(original);
  });

  it('keeps dimensions and the alpha channel', async () => {
    const original = await translucent();
    const result = await refine(original, 'ocean blues, brighter, more contrast, warmer, invert');
    const meta = await sharp(result.data).metadata();
    expect(result.contentType).toBe('image/png');
    expect(meta).toMatchObject({ format: 'png', width: 20, height: 12, channels: 4, hasAlpha: true });

    const alpha = async (image: Buffer) => sharp(image).extractChannel(3).raw().toBuffer();
    // Colour and tone steps must not touch transparency at all.
    expect((await alpha(result.data)).equals(await alpha(original))).toBe(true);
  });

  it('accepts a single-channel greyscale original and answers in RGB', async () => {
    const grey = await sharp(Buffer.alloc(8 * 8, 100), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
    const result = await refine(grey, 'warmer');
    const [r, , b] = (await channelStats(result.data)).mean;
    expect(r).toBeGreaterThan(b + 20);
  });

  it('says what it did not understand', async () => {
    const result = await refine(await blueGrey(), 'add a fox wearing a hat, brighter');
    expect(result.outcome).toEqual({
      status: 'partly-applied',
      applied: ['brighter (×1.25)'],
      notApplied: ["'add a fox wearing a hat': not understood"],
    });
    expect(result.notes).toEqual(['applied: brighter (×1.25)', "not applied: 'add a fox wearing a hat': not understood"]);
  });

  it('fails with InstructionsNotUnderstoodError, listing what it can do, when nothing is understood', async () => {
    const attempt = await request(await blueGrey(), 'sprinkle some magic');
    const error = await refiner.refine(attempt).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(InstructionsNotUnderstoodError);
    expect(error!.message).toMatch(/^the local refiner could apply nothing in the prompt: 'sprinkle some magic': not understood\. It can do: background \(e\.g\. "make the background dark blue"\);/);
    for (const kind of refiner.capabilities().instructions) expect(error!.message).toContain(`${kind.kind} (e.g. "${kind.examples[0]}")`);
    // Nothing left behind in the attempt's folder.
    expect(await fs.readdir(attempt.workDir)).toEqual(['original']);
  });

  it('refuses what a kept aspect protects, says so, and fails when that is everything', async () => {
    const original = await blueGrey();
    const result = await refine(original, 'autumn colours, mirror it and add a 1px black border', { preserveAspects: ['colors', 'the layout'] });
    const before = await rawPixels(original);
    const after = await rawPixels(result.data);
    // Inside the frame, every pixel is the original's.
    for (let y = 1; y < 15; y++) for (let x = 1; x < 15; x++) expect(after.data.readUIntBE((y * 16 + x) * 3, 3)).toBe(before.data.readUIntBE((y * 16 + x) * 3, 3));
    expect(result.outcome).toEqual({
      status: 'partly-applied',
      applied: ['border → black (#000000) (1 px)', 'kept colors unchanged', 'kept the layout unchanged'],
      notApplied: ["palette → autumn theme: refused, kept aspect 'colors'", "mirrored left to right: refused, kept aspect 'the layout'"],
    });
    await expect(refine(original, 'autumn colours and mirror it', { preserveAspects: ['colors', 'the layout'] })).rejects.toThrow(
      /could apply nothing in the prompt: palette → autumn theme: refused, kept aspect 'colors'; mirrored left to right: refused, kept aspect 'the layout'/,
    );
  });

  it('heartbeats between steps and stops when cancelled', async () => {
    const heartbeat = jest.fn();
    await refine(await colourful(), 'warmer, brighter, blur', { heartbeat });
    expect(heartbeat.mock.calls.length).toBeGreaterThanOrEqual(3);

    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    controller.abort(reason);
    await expect(refiner.refine(await request(await colourful(), 'warmer', { signal: controller.signal }))).rejects.toBe(reason);

    // Cancelled mid-way: the first heartbeat is the last thing that happens.
    const midway = new AbortController();
    const midwayReason = new Error('worker shutting down');
    const stopAtFirstBeat = () => midway.abort(midwayReason);
    const pending: Promise<RefineResult> = refiner.refine(
      await request(await colourful(), 'warmer, brighter', { signal: midway.signal, heartbeat: stopAtFirstBeat }),
    );
    await expect(pending).rejects.toBe(midwayReason);
  });

  it('rejects undecodable bytes and oversized images as permanent errors', async () => {
    await expect(refine(Buffer.from('definitely not a png'), 'brighter')).rejects.toBeInstanceOf(NotAnImageError);
    const small = new LocalRefiner({ maxPixels: 100 });
    await expect(small.refine(await request(await blueGrey(), 'brighter'))).rejects.toBeInstanceOf(PixelLimitExceededError);
  });

  it('does not blame the image when it cannot write its files (a full disk is retried, not refused)', async () => {
    const attempt = await request(await blueGrey(), 'brighter', { workDir: path.join(scratch, 'no-such-folder') });
    const error = await refiner.refine(attempt).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NotAnImageError);
    expect(error!.message).toMatch(/unable to open for write/);
  });
});

describe('colouriseMatrix', () => {
  it('keeps every pixel’s luminance while moving its hue', () => {
    const matrix = colouriseMatrix(ORANGE, 0.5);
    for (const pixel of [[40, 80, 200], [128, 128, 128], [10, 200, 30]]) {
      const out = matrix.map((row) => row[0] * pixel[0] + row[1] * pixel[1] + row[2] * pixel[2]);
      expect(luminance(out)).toBeCloseTo(luminance(pixel), 6);
    }
  });
});
