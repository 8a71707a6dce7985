/**
 * Tiny test images and the measurements the local refiner's tests judge its output by: channel
 * means and spreads, luminance, hue.
 */
import sharp from 'sharp';

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
/** Non-square with an alpha ramp, to check geometry and transparency survive. */
export const translucent = () => png(20, 12, (x, y) => [30 + x * 10, 200 - y * 10, 90, 40 + x * 10]);

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
