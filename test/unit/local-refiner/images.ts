/**
 * Tiny test images and the measurements the local refiner's tests judge its output by: channel
 * means and spreads, luminance, hue.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { RefineRequest } from '../../../src/adapters/concept-service/concept-service';
import { noisePixels } from '../../harness/images';

type Pixel = [number, number, number] | [number, number, number, number];

async function png(width: number, height: number, pixelAt: (x: number, y: number) => Pixel): Promise<Buffer> {
  const channels = pixelAt(0, 0).length as 3 | 4;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixelAt(x, y), (y * width + x) * channels);
  }
  return sharp(data, { raw: { width, height, channels } }).png().toBuffer();
}

/** Left half a mid blue, right half neutral grey: a cold image with no orange or red in it. */
export const blueGrey = () => png(16, 16, (x) => (x < 8 ? [40, 80, 200] : [128, 128, 128]));
/** One-pixel checkerboard: maximal high-frequency detail. */
export const checkerboard = () => png(16, 16, (x, y) => ((x + y) % 2 === 0 ? [40, 40, 40] : [215, 215, 215]));
/** Colourful, mid-toned and varied, so tone and colour changes all have room to show. */
export const colourful = () => png(16, 16, (x, y) => [60 + x * 8, 70 + y * 7, 190 - x * 6]);
/** Random pixels, like a photo's grain: at 400 x 400 no colour is common enough to be a cluster. */
export const photoLike = () => sharp(noisePixels(400), { raw: { width: 400, height: 400, channels: 3 } }).png().toBuffer();
export const noisy = () => png(32, 32, (x, y) => [(x * 37 + y * 91 + 40) % 256, (x * 53 + y * 17 + 90) % 256, (x * 11 + y * 71 + 160) % 256]);
/** Non-square with an alpha ramp, to check geometry and transparency survive. */
export const translucent = () => png(20, 12, (x, y) => [30 + x * 10, 200 - y * 10, 90, 40 + x * 10]);

/** Colours of the generated flat logo, exact so tests can find each region again. */
export const LOGO = {
  background: [235, 225, 200],
  bar: [0, 150, 150],
  dot: [200, 40, 40],
} as const;
/**
 * A flat logo on a 64×64 canvas (shapes scale with `size`): a solid beige background, a teal bar 24×8 centred on the canvas
 * (so rotation shows in its bounding box) and a red 8×8 dot below it (a second colour cluster).
 */
export const flatLogo = (size = 64) =>
  png(size, size, (x, y) => {
    const c = size / 2;
    const u = size / 64;
    if (x >= c - 12 * u && x < c + 12 * u && y >= c - 4 * u && y < c + 4 * u) return [...LOGO.bar];
    if (x >= c - 4 * u && x < c + 4 * u && y >= c + 12 * u && y < c + 20 * u) return [...LOGO.dot];
    return [...LOGO.background];
  });

/** Bounding box of the pixels within `tolerance` of `rgb` (inclusive bounds), or undefined if none. */
export function boxOf(data: Buffer, width: number, channels: number, rgb: readonly number[], tolerance = 40) {
  let left = Infinity;
  let right = -1;
  let top = Infinity;
  let bottom = -1;
  let count = 0;
  for (let i = 0, p = 0; i < data.length; i += channels, p++) {
    if (Math.hypot(data[i] - rgb[0], data[i + 1] - rgb[1], data[i + 2] - rgb[2]) > tolerance) continue;
    if (channels === 4 && data[i + 3] < 128) continue;
    const x = p % width;
    const y = Math.floor(p / width);
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
    count++;
  }
  return count === 0 ? undefined : { left, right, top, bottom, width: right - left + 1, height: bottom - top + 1, count };
}

/** Orientation in degrees of the pixels near `rgb`, from their second moments (y down, so clockwise is positive). */
export function orientationOf(data: Buffer, width: number, channels: number, rgb: readonly number[], tolerance = 40): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0, p = 0; i < data.length; i += channels, p++) {
    if (Math.hypot(data[i] - rgb[0], data[i + 1] - rgb[1], data[i + 2] - rgb[2]) > tolerance) continue;
    xs.push(p % width);
    ys.push(Math.floor(p / width));
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < xs.length; k++) {
    sxx += (xs[k] - mx) ** 2;
    syy += (ys[k] - my) ** 2;
    sxy += (xs[k] - mx) * (ys[k] - my);
  }
  return (0.5 * Math.atan2(2 * sxy, sxx - syy) * 180) / Math.PI;
}

export async function channelStats(image: Buffer) {
  const { channels } = await sharp(image).stats();
  return { mean: channels.map((c) => c.mean), stdev: channels.map((c) => c.stdev) };
}

export const luminance = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/** Hue in degrees of an RGB triple (0 red, 30 orange, 120 green, 240 blue). */
export function hue([r, g, b]: number[]): number {
  const max = Math.max(r, g, b);
  const chroma = max - Math.min(r, g, b);
  if (chroma === 0) return 0;
  const sector = max === r ? ((g - b) / chroma + 6) % 6 : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
  return sector * 60;
}
export const hueDistance = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

export async function rawPixels(image: Buffer) {
  return sharp(image).raw().toBuffer({ resolveWithObject: true });
}

/** A refine request for `image`, staged in a new attempt folder under `scratch` as the refine stage hands it over. */
export async function stagedRequest(scratch: string, image: Buffer, refinementPrompt: string, overrides: Partial<RefineRequest> = {}): Promise<RefineRequest> {
  const workDir = await fs.mkdtemp(path.join(scratch, 'attempt-'));
  const original = path.join(workDir, 'original');
  await fs.writeFile(original, image);
  return {
    taskId: 'task-1',
    image: { path: original, contentType: 'image/png' },
    workDir,
    originalImageUrl: 'https://example.test/original.png',
    refinementPrompt,
    logoDescription: 'a minimalist fox',
    themeDescription: 'modern tech',
    preserveAspects: [],
    signal: new AbortController().signal,
    heartbeat: () => {},
    checkpoint: () => {},
    reportWaiting: () => {},
    ...overrides,
  };
}

/** Colours of the generated fox logo, exact so tests can find each region again. */
export const FOX = {
  background: [246, 241, 230],
  circle: [0, 150, 150],
  fox: [240, 120, 40],
  eye: [30, 30, 40],
  text: [40, 40, 60],
} as const;

export interface FoxLogoOptions {
  size?: number;
  background?: readonly number[];
  circle?: readonly number[];
  fox?: readonly number[];
  text?: readonly number[];
  /** The word under the circle; '' for none. */
  word?: string;
  /** 'circle' (default), 'square' or 'diamond': the shape the fox sits in. */
  badge?: 'circle' | 'square' | 'diamond';
}

const css = (rgb: readonly number[]) => `rgb(${rgb.join(',')})`;

/** SVG of a flat logo like the issue's: a fox-like head in a teal circle, a word under it. */
export function foxLogoSvg(options: FoxLogoOptions = {}): string {
  const { size = 512, background = FOX.background, circle = FOX.circle, fox = FOX.fox, text = FOX.text, word = 'FOXLY', badge = 'circle' } = options;
  const u = size / 512;
  const p = (points: number[][]) => points.map(([x, y]) => `${x * u},${y * u}`).join(' ');
  const badges = {
    circle: `<circle cx="${256 * u}" cy="${210 * u}" r="${150 * u}" fill="${css(circle)}"/>`,
    square: `<rect x="${116 * u}" y="${70 * u}" width="${280 * u}" height="${280 * u}" fill="${css(circle)}"/>`,
    diamond: `<polygon points="${p([[256, 50], [416, 210], [256, 370], [96, 210]])}" fill="${css(circle)}"/>`,
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
  <rect width="${size}" height="${size}" fill="${css(background)}"/>
  ${badges[badge]}
  <polygon points="${p([[166, 110], [216, 170], [296, 170], [346, 110], [346, 210], [256, 300], [166, 210]])}" fill="${css(fox)}"/>
  <circle cx="${221 * u}" cy="${200 * u}" r="${9 * u}" fill="${css(FOX.eye)}"/>
  <circle cx="${291 * u}" cy="${200 * u}" r="${9 * u}" fill="${css(FOX.eye)}"/>
  ${word ? `<text x="${256 * u}" y="${440 * u}" font-family="DejaVu Sans" font-weight="bold" font-size="${56 * u}" text-anchor="middle" fill="${css(text)}">${word}</text>` : ''}
</svg>`;
}

export const foxLogo = (options: FoxLogoOptions = {}) => sharp(Buffer.from(foxLogoSvg(options))).png().toBuffer();
