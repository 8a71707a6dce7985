/**
 * Structural edits on a generated flat logo, judged on pixels: the background is recoloured while
 * the shapes stay, a frame has the asked colour and width and leaves the inside alone, mirror and
 * rotation move the shape's bounding box as a true mirror or rotation would, scaling grows or
 * shrinks the subject about its centre on the same canvas, a transparent background has no alpha,
 * and a colour swap moves one colour cluster and no other.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { RefineRequest } from '../../../src/adapters/concept-service/concept-service';
import { LocalRefiner } from '../../../src/adapters/concept-service/local-refiner';
import { InstructionsNotUnderstoodError } from '../../../src/errors';
import { boxOf, flatLogo, LOGO, orientationOf, rawPixels, stagedRequest } from './images';

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'local-refiner-structural-'));
});
afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

const refiner = new LocalRefiner({ maxPixels: 10_000_000 });

async function refine(image: Buffer, refinementPrompt: string, overrides: Partial<RefineRequest> = {}) {
  const result = await refiner.refine(await stagedRequest(scratch, image, refinementPrompt, overrides));
  if (result.kind !== 'file') throw new Error('expected a file result');
  const data = await fs.readFile(result.path);
  const pixels = await rawPixels(data);
  const { width, height, channels } = pixels.info;
  const at = (x: number, y: number) => [...pixels.data.subarray((y * width + x) * channels, (y * width + x) * channels + channels)];
  return { notes: result.notes, outcome: result.outcome, data, raw: pixels.data, width, height, channels, at };
}

const SIZE = 64;
const rgb = (pixel: number[]) => pixel.slice(0, 3);

describe('LocalRefiner structural edits on a flat logo', () => {
  it.each([
    ['Make the background dark blue', [0, 0, 139]],
    ['change the background to white', [255, 255, 255]],
    ['use a navy backdrop', [0, 0, 128]],
    ['I want a black background', [0, 0, 0]],
  ])('recolours only the background for "%s"', async (prompt, expected) => {
    const original = await flatLogo();
    const before = await rawPixels(original);
    const out = await refine(original, prompt);
    expect(out.width).toBe(SIZE);
    expect(out.channels).toBe(3);
    for (const [x, y] of [[0, 0], [63, 63], [5, 40], [32, 20]]) expect(rgb(out.at(x, y))).toEqual(expected);
    // Every shape pixel keeps its exact colour.
    for (let i = 0; i < before.data.length; i += 3) {
      const pixel = [...before.data.subarray(i, i + 3)];
      if (pixel.join() !== LOGO.background.join()) expect([...out.raw.subarray(i, i + 3)]).toEqual(pixel);
    }
    expect(out.notes.some((n) => n.startsWith('applied: background colour → '))).toBe(true);
  });

  it.each([
    ['make the background darker', [153, 146, 130]],
    ['darken the backdrop', [153, 146, 130]],
    ['background a bit lighter', [243, 237, 222]],
  ])('shades only the background for "%s"', async (prompt, expected) => {
    const out = await refine(await flatLogo(), prompt);
    expect(rgb(out.at(0, 0))).toEqual(expected);
    expect(rgb(out.at(32, 32))).toEqual([...LOGO.bar]);
    expect(rgb(out.at(32, 48))).toEqual([...LOGO.dot]);
  });

  it('repaints anti-aliased edges as blends of the new background, leaving no halo', async () => {
    const circle = await sharp(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="rgb(235,225,200)"/><circle cx="32" cy="32" r="19.5" fill="rgb(0,150,150)"/></svg>'),
    ).png().toBuffer();
    const before = await rawPixels(circle);
    const edges = [...Array(SIZE * SIZE).keys()].filter((p) => {
      const px = [...before.data.subarray(p * before.info.channels, p * before.info.channels + 3)];
      return px.join() !== LOGO.background.join() && px.join() !== LOGO.bar.join();
    });
    expect(edges.length).toBeGreaterThan(20);

    const blue = [0, 0, 139];
    const out = await refine(circle, 'make the background dark blue');
    for (let p = 0; p < SIZE * SIZE; p++) {
      // Every pixel is the new background, the teal, or a mix of just those two.
      const px = rgb(out.at(p % SIZE, Math.floor(p / SIZE)));
      const axis = blue.map((c, k) => c - LOGO.bar[k]);
      const t = Math.min(1, Math.max(0, px.reduce((sum, c, k) => sum + (c - LOGO.bar[k]) * axis[k], 0) / axis.reduce((a, c) => a + c * c, 0)));
      // Near-teal pixels keep their small rendering noise; a halo of the old beige would be ~100 off.
      expect(Math.hypot(...px.map((c, k) => c - LOGO.bar[k] - t * axis[k]))).toBeLessThan(20);
    }

    const cut = await refine(circle, 'remove the background');
    const partial = edges.map((p) => cut.at(p % SIZE, Math.floor(p / SIZE))).filter((px) => px[3] > 0 && px[3] < 255);
    expect(partial.length).toBeGreaterThan(10);
    // Edge pixels take the teal cluster's mean colour, within a level or two of the exact teal.
    for (const px of partial) expect(Math.hypot(...rgb(px).map((c, k) => c - LOGO.bar[k]))).toBeLessThan(4);
    expect(cut.at(0, 0)[3]).toBe(0);
    expect(cut.at(32, 32)).toEqual([...LOGO.bar, 255]);
  });

  it.each([
    ['add a 4px red frame', [255, 0, 0], 4],
    ['Add a thin white border', [255, 255, 255], 1],
    ['put a thick black border around it', [0, 0, 0], 4],
    ['frame it in gold 6 pixels wide', [255, 215, 0], 6],
  ])('paints a frame for "%s" and leaves the inside alone', async (prompt, colour, width) => {
    const original = await flatLogo();
    const before = await rawPixels(original);
    const out = await refine(original, prompt);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const inFrame = x < width || y < width || x >= SIZE - width || y >= SIZE - width;
        const i = (y * SIZE + x) * 3;
        if (inFrame) expect(rgb(out.at(x, y))).toEqual(colour);
        else expect(rgb(out.at(x, y))).toEqual([...before.data.subarray(i, i + 3)]);
      }
    }
    expect(out.notes.some((n) => n.startsWith('applied: border → '))).toBe(true);
  });

  it('frames a dark logo in white and a light one in black when no colour is named', async () => {
    const light = await refine(await flatLogo(), 'add a border');
    expect(rgb(light.at(0, 0))).toEqual([0, 0, 0]);
    const dark = await refine((await refine(await flatLogo(), 'black background')).data, 'add a border');
    expect(rgb(dark.at(0, 0))).toEqual([255, 255, 255]);
  });

  it.each([
    ['mirror it horizontally', (s: Sharp) => s.flop()],
    ['flip it left to right', (s: Sharp) => s.flop()],
    ['flip it upside down', (s: Sharp) => s.flip()],
    ['mirror vertically', (s: Sharp) => s.flip()],
  ])('"%s" equals the flipped input', async (prompt, flip) => {
    const original = await flatLogo();
    const expected = await flip(sharp(original)).raw().toBuffer();
    expect((await refine(original, prompt)).raw.equals(expected)).toBe(true);
  });

  it('rotates a quarter turn exactly, turning the bar upright about the centre', async () => {
    const original = await flatLogo();
    const out = await refine(original, 'rotate 90 degrees');
    expect(out.raw.equals(await sharp(original).rotate(90).raw().toBuffer())).toBe(true);
    const bar = boxOf(out.raw, SIZE, 3, LOGO.bar)!;
    expect([bar.width, bar.height]).toEqual([8, 24]);
    expect([(bar.left + bar.right + 1) / 2, (bar.top + bar.bottom + 1) / 2]).toEqual([32, 32]);
    // Clockwise: the dot below the bar ends up on its left.
    expect(boxOf(out.raw, SIZE, 3, LOGO.dot)!.right).toBeLessThan(bar.left);
    expect(out.notes).toContain('applied: rotated 90° clockwise');
  });

  it.each([
    ['Rotate it slightly', 15],
    ['tilt it a little', 15],
    ['rotate it 30 degrees anticlockwise', -30],
    ['rotate by 45 degrees', 45],
  ])('turns the bar for "%s" by the asked angle on the same canvas', async (prompt, degrees) => {
    const original = await flatLogo();
    const out = await refine(original, prompt);
    expect([out.width, out.height]).toEqual([SIZE, SIZE]);
    expect(orientationOf(out.raw, SIZE, 3, LOGO.bar, 60)).toBeCloseTo(degrees, -0.5);
    const bar = boxOf(out.raw, SIZE, 3, LOGO.bar, 60)!;
    expect(bar.height).toBeGreaterThan(8);
    // The corners uncovered by the turn are background, not black.
    expect(rgb(out.at(0, 0))).toEqual([...LOGO.background]);
  });

  it.each([
    ['Make the fox bigger', 1.25],
    ['make it much larger', 1.5],
    ['make the logo smaller', 0.8],
    ['shrink it', 0.8],
  ])('scales the subject about its centre on the same canvas for "%s"', async (prompt, factor) => {
    const original = await flatLogo();
    const beforeBox = boxOf((await rawPixels(original)).data, SIZE, 3, LOGO.bar)!;
    const out = await refine(original, prompt);
    expect([out.width, out.height]).toEqual([SIZE, SIZE]);
    // Resampled edges blend bar and background, so count a pixel as bar until it is nearer the background.
    const bar = boxOf(out.raw, SIZE, 3, LOGO.bar, 110)!;
    expect(bar.width).toBeGreaterThanOrEqual(Math.floor(beforeBox.width * factor) - 1);
    expect(bar.width).toBeLessThanOrEqual(Math.ceil(beforeBox.width * factor) + 1);
    // The subject (bar and dot) keeps its centre, so the bar stays centred left to right.
    expect(Math.abs((bar.left + bar.right + 1) / 2 - 32)).toBeLessThanOrEqual(1);
    expect(rgb(out.at(0, 0))).toEqual([...LOGO.background]);
  });

  it.each(['make the background transparent', 'remove the background', 'transparent bg please'])(
    'clears the background for "%s" and keeps the shapes opaque',
    async (prompt) => {
      const out = await refine(await flatLogo(), prompt);
      expect(out.channels).toBe(4);
      for (const [x, y] of [[0, 0], [63, 0], [10, 50], [32, 10]]) expect(out.at(x, y)[3]).toBe(0);
      expect(out.at(32, 32)).toEqual([...LOGO.bar, 255]);
      expect(out.at(32, 48)).toEqual([...LOGO.dot, 255]);
    },
  );

  it.each([
    ['change the teal to purple', 'bar', [128, 0, 128]],
    ['replace the teal bar with gold', 'bar', [255, 215, 0]],
    ['make the red dot green', 'dot', [0, 128, 0]],
    ['blue instead of red', 'dot', [0, 0, 255]],
    ['swap cyan for pink', 'bar', [255, 192, 203]],
  ] as const)('"%s" moves that colour cluster and no other', async (prompt, region, colour) => {
    const original = await flatLogo();
    const before = await rawPixels(original);
    const out = await refine(original, prompt);
    const source = LOGO[region];
    for (let i = 0; i < before.data.length; i += 3) {
      const pixel = [...before.data.subarray(i, i + 3)];
      const after = [...out.raw.subarray(i, i + 3)];
      expect(after).toEqual(pixel.join() === source.join() ? colour : pixel);
    }
  });

  it('says so when the colour to change is not in the image', async () => {
    const blackOnWhite = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ffffff' } })
      .composite([{ input: { create: { width: 8, height: 8, channels: 3, background: '#000000' } }, left: 12, top: 12 }])
      .png()
      .toBuffer();
    const out = await refine(blackOnWhite, 'change the yellow to blue and add a border');
    expect(out.outcome).toEqual({
      status: 'partly-applied',
      applied: ['border → contrasting colour (medium, 3% of the shorter side)'],
      notApplied: ['yellow → blue (#0000ff): no colour near #ffff00 in the image'],
    });
    // Alone, it is an error that says what went wrong and what would work.
    await expect(refine(blackOnWhite, 'change the yellow to blue')).rejects.toThrow(InstructionsNotUnderstoodError);
    await expect(refine(blackOnWhite, 'change the yellow to blue')).rejects.toThrow(/no colour near #ffff00 in the image.*It can do: background/);
  });

  it('carries out a compound prompt, each edit where it belongs', async () => {
    const out = await refine(await flatLogo(), 'make the background dark blue, add a 2px white border and rotate it 90 degrees');
    expect(rgb(out.at(0, 0))).toEqual([255, 255, 255]);
    expect(rgb(out.at(2, 2))).toEqual([0, 0, 139]);
    const bar = boxOf(out.raw, SIZE, 3, LOGO.bar)!;
    expect([bar.width, bar.height]).toEqual([8, 24]);
    expect(out.outcome).toEqual({
      status: 'applied',
      applied: ['background colour → dark blue (#00008b)', 'rotated 90° clockwise', 'border → white (#ffffff) (2 px)'],
      notApplied: [],
    });
    expect(out.notes).toEqual(out.outcome.applied.map((a) => `applied: ${a}`));
  });

  it('withholds a background change when the background is kept, and says so', async () => {
    const original = await flatLogo();
    const out = await refine(original, 'make the background navy, rotate it and more contrast', { preserveAspects: ['background', 'shape'] });
    // Contrast applies to the shapes; the kept background keeps its exact pixels.
    const before = await rawPixels(original);
    for (let i = 0; i < before.data.length; i += 3) {
      if ([...before.data.subarray(i, i + 3)].join() === LOGO.background.join()) expect([...out.raw.subarray(i, i + 3)]).toEqual([...LOGO.background]);
    }
    expect(rgb(out.at(32, 32))).not.toEqual([...LOGO.bar]);
    expect(out.outcome).toEqual({
      status: 'partly-applied',
      applied: ['more contrast (×1.30)', 'kept background unchanged', 'kept shape unchanged'],
      notApplied: ["background colour → navy (#000080): refused, kept aspect 'background'", "rotated 90° clockwise: refused, kept aspect 'shape'"],
    });
  });

  it('is deterministic and quick on a large flat logo', async () => {
    const big = await flatLogo(1500);
    const prompt = 'make the background dark blue, make the fox bigger, rotate it slightly, change the teal to gold, add a thin white border';
    const started = Date.now();
    const first = await refine(big, prompt);
    // Generous: the bound is there to catch a per-pixel slow path, not to benchmark a busy machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    const second = await refine(Buffer.from(big), prompt);
    expect(first.data.equals(second.data)).toBe(true);
    expect(first.notes.filter((n) => n.startsWith('applied:'))).toHaveLength(5);
  });
});
