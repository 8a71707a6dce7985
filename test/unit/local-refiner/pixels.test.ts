/**
 * The local refiner is judged on pixels: each instruction must move a measurable property of the
 * output in the asked-for direction. Images are tiny so the whole suite stays fast.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { NotAnImageError, PixelLimitExceededError } from '../../../src/errors';
import type { RefineRequest, RefineResult } from '../../../src/adapters/concept-service/concept-service';
import { colouriseMatrix, LocalRefiner } from '../../../src/adapters/concept-service/local-refiner';
import { COLOURS } from '../../../src/adapters/concept-service/refinement-operations';
import { blueGrey, channelStats, checkerboard, colourful, hue, hueDistance, luminance, rawPixels, stagedRequest, translucent } from './images';

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
  it('moves a blue/grey image toward orange and red for an autumn prompt', async () => {
    const original = await blueGrey();
    const result = await refine(original, 'Make it more autumn-themed with orange and red');
    const before = (await channelStats(original)).mean;
    const after = (await channelStats(result.data)).mean;

    expect(after[0]).toBeGreaterThan(before[0] + 30); // red channel up
    expect(after[2]).toBeLessThan(before[2] - 30); // blue channel down
    expect(hueDistance(hue(after), 30)).toBeLessThan(hueDistance(hue(before), 30) - 90);
    // The palette shift recolours rather than brightening or darkening.
    expect(Math.abs(luminance(after) - luminance(before))).toBeLessThan(4);
    // The neutral grey half takes on the autumn hue itself, between red (0°) and orange (30°).
    const { data } = await rawPixels(result.data);
    const greyHalfPixel = [...data.subarray(12 * 3, 13 * 3)];
    expect(hueDistance(hue(greyHalfPixel), 15)).toBeLessThan(15);
    expect(result.notes).toContain('applied: shifted colours toward orange, red and brown (45%)');
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
    const result = await refine(grey, 'more orange');
    const [r, , b] = (await channelStats(result.data)).mean;
    expect(r).toBeGreaterThan(b + 20);
  });

  it('says what it did not understand', async () => {
    const result = await refine(await blueGrey(), 'add a fox wearing a hat, brighter');
    expect(result.notes).toContain('not understood: "add a fox wearing a hat"');
    expect(result.notes.some((n) => n.startsWith('applied: brighter'))).toBe(true);
  });

  it('returns the original pixels, with a note, when nothing is understood', async () => {
    const original = await blueGrey();
    const result = await refine(original, 'sprinkle some magic');
    expect((await rawPixels(result.data)).data.equals((await rawPixels(original)).data)).toBe(true);
    expect(result.notes).toEqual([
      'not understood: "sprinkle some magic"',
      'no adjustment applied: the image is the original re-encoded as PNG',
    ]);
  });

  it('leaves preserved colours alone and says so', async () => {
    const original = await blueGrey();
    const result = await refine(original, 'autumn colours and mirror it', { preserveAspects: ['colors', 'the layout'] });
    expect((await rawPixels(result.data)).data.equals((await rawPixels(original)).data)).toBe(true);
    expect(result.notes).toEqual([
      'not applied, preserving "the layout": mirrored horizontally',
      'not applied, preserving "colors": shifted colours toward orange, red and brown (45%)',
      'no adjustment applied: the image is the original re-encoded as PNG',
    ]);
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
    const matrix = colouriseMatrix(COLOURS.orange, 0.5);
    for (const pixel of [[40, 80, 200], [128, 128, 128], [10, 200, 30]]) {
      const out = matrix.map((row) => row[0] * pixel[0] + row[1] * pixel[1] + row[2] * pixel[2]);
      expect(luminance(out)).toBeCloseTo(luminance(pixel), 6);
    }
  });
});
