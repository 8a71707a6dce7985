/**
 * What a flat logo is made of, read from its decoded RGBA pixels: the background (the border's
 * dominant colour, or transparency), the foreground's bounding box, and the few flat colours
 * (clusters) the image uses. The structural edits work from these.
 */
import type { Rgb } from './refinement-operations';

export interface RgbaImage {
  /** width × height × 4 bytes, row-major. */
  data: Buffer;
  width: number;
  height: number;
}

/** Within this RGB distance of the background colour a pixel is background (flat logos, lossy encodes). */
const BACKGROUND_TOLERANCE = 48;
/** Within this distance of a cluster's centre a pixel belongs to it, if no other centre is nearer. */
export const CLUSTER_REACH = 64;
/** Two histogram buckets closer than this are one flat colour (anti-aliasing, compression noise). */
export const CLUSTER_MERGE = 40;
export const MAX_CLUSTERS = 12;
/** A colour lying between two bigger ones and covering less than this share of the image is an edge blend. */
export const EDGE_BLEND_SHARE = 0.02;
/** A pixel this close to the line between the background and a foreground colour is a blend of the two. */
export const EDGE_RESIDUAL = 24;

export interface Background {
  rgb: Rgb;
  /** The border is mostly transparent: background is then what has no alpha. */
  transparent: boolean;
  /**
   * One byte per pixel, 1 where the pixel is background: of the background colour and connected to
   * the image's edge. Without it, every pixel of the background colour counts (a white face inside a
   * badge on a white canvas would then be background too).
   */
  mask?: Uint8Array;
}

export function distanceSquared(data: Buffer, i: number, rgb: Rgb): number {
  const dr = data[i] - rgb[0];
  const dg = data[i + 1] - rgb[1];
  const db = data[i + 2] - rgb[2];
  return dr * dr + dg * dg + db * db;
}

export function isBackground(data: Buffer, i: number, background: Background): boolean {
  if (data[i + 3] < 128) return true;
  if (background.mask) return background.mask[i >> 2] === 1;
  return hasBackgroundColour(data, i, background);
}

function hasBackgroundColour(data: Buffer, i: number, background: Background): boolean {
  return !background.transparent && distanceSquared(data, i, background.rgb) <= BACKGROUND_TOLERANCE ** 2;
}

/** Enclosed areas of the background colour smaller than this share of the image are background too: letter counters. */
const HOLE_SHARE = 0.005;

/**
 * The background found on the image's edge, with its mask: the background-coloured pixels
 * connected to the edge, and enclosed areas of that colour too small to be part of the subject
 * (the inside of an "O"). A larger enclosed area (a white face inside a badge) is the subject's.
 */
export function connectedBackground(image: RgbaImage, background: Background = findBackground(image)): Background {
  if (background.transparent) return { rgb: background.rgb, transparent: true };
  const { width, height, data } = image;
  const mask = new Uint8Array(width * height);
  const colour = (p: number) => hasBackgroundColour(data, p * 4, background);
  const edge: number[] = [];
  for (let x = 0; x < width; x++) edge.push(x, (height - 1) * width + x);
  for (let y = 0; y < height; y++) edge.push(y * width, y * width + width - 1);
  floodFill(width, height, edge, (p) => mask[p] === 0 && colour(p), (p) => (mask[p] = 1));
  const holeLimit = width * height * HOLE_SHARE;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] !== 0 || !colour(p)) continue;
    const count = floodFill(width, height, [p], (q) => mask[q] === 0 && colour(q), (q) => (mask[q] = 3));
    const value = count < holeLimit ? 1 : 2;
    floodFill(width, height, [p], (q) => mask[q] === 3, (q) => (mask[q] = value));
  }
  for (let p = 0; p < mask.length; p++) if (mask[p] === 2) mask[p] = 0;
  return { rgb: background.rgb, transparent: false, mask };
}

/** 4-connected scanline flood fill from `seeds` over pixels that are `open`; answers how many it filled. */
export function floodFill(width: number, height: number, seeds: number[], open: (p: number) => boolean, fill: (p: number) => void): number {
  let stack = Int32Array.from(seeds);
  let top = seeds.length;
  let filled = 0;
  const push = (p: number) => {
    if (top === stack.length) {
      const grown = new Int32Array(stack.length * 2);
      grown.set(stack);
      stack = grown;
    }
    stack[top++] = p;
  };
  while (top > 0) {
    const p = stack[--top];
    if (!open(p)) continue;
    const y = Math.floor(p / width);
    const row = y * width;
    let left = p;
    while (left > row && open(left - 1)) left--;
    let right = p;
    while (right < row + width - 1 && open(right + 1)) right++;
    for (let q = left; q <= right; q++) fill(q);
    filled += right - left + 1;
    // One seed per run of open pixels above and below the span.
    for (const next of [y - 1, y + 1]) {
      if (next < 0 || next >= height) continue;
      let inRun = false;
      for (let q = left; q <= right; q++) {
        const n = q + (next - y) * width;
        const isOpen = open(n);
        if (isOpen && !inRun) push(n);
        inRun = isOpen;
      }
    }
  }
  return filled;
}

/** The most common colour on the outermost rows and columns, averaged over its 4-bit bucket. */
export function findBackground({ data, width, height }: RgbaImage): Background {
  const counts = new Map<number, { n: number; r: number; g: number; b: number }>();
  let transparent = 0;
  let total = 0;
  const visit = (x: number, y: number) => {
    const i = (y * width + x) * 4;
    total++;
    if (data[i + 3] < 128) {
      transparent++;
      return;
    }
    const key = ((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4);
    const bucket = counts.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    bucket.n++;
    bucket.r += data[i];
    bucket.g += data[i + 1];
    bucket.b += data[i + 2];
    counts.set(key, bucket);
  };
  for (let x = 0; x < width; x++) {
    visit(x, 0);
    if (height > 1) visit(x, height - 1);
  }
  for (let y = 1; y < height - 1; y++) {
    visit(0, y);
    if (width > 1) visit(width - 1, y);
  }
  let best: { n: number; r: number; g: number; b: number } | undefined;
  // Ties go to the lower key so the answer never depends on Map order.
  for (const [, bucket] of [...counts.entries()].sort((a, b) => a[0] - b[0])) if (!best || bucket.n > best.n) best = bucket;
  if (!best || transparent * 2 > total) return { rgb: [255, 255, 255], transparent: true };
  return { rgb: [Math.round(best.r / best.n), Math.round(best.g / best.n), Math.round(best.b / best.n)], transparent: false };
}

export function foregroundBox(image: RgbaImage, background: Background = findBackground(image)) {
  const { data, width, height } = image;
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (isBackground(data, (y * width + x) * 4, background)) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      bottom = y;
    }
  }
  return right < 0 ? undefined : { left, right, top, bottom };
}

/** The image's flat colours: a 4-bit histogram whose buckets are merged greedily, biggest first. */
export function colourClusters({ data }: RgbaImage): { rgb: Rgb; count: number }[] {
  const n = new Float64Array(4096);
  const sums = new Float64Array(4096 * 3);
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 128) continue;
    const key = ((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4);
    n[key]++;
    sums[key * 3] += data[i];
    sums[key * 3 + 1] += data[i + 1];
    sums[key * 3 + 2] += data[i + 2];
  }
  const buckets = [...n.keys()].filter((k) => n[k] > 0).sort((a, b) => n[b] - n[a] || a - b);
  const clusters: { sum: [number, number, number]; count: number; rgb: Rgb }[] = [];
  // Small enough for a logo's details, large enough that anti-aliased edges do not count as colours.
  const minimum = Math.max(1, (data.length / 4) * 0.0005);
  for (const key of buckets) {
    const mean: Rgb = [sums[key * 3] / n[key], sums[key * 3 + 1] / n[key], sums[key * 3 + 2] / n[key]];
    const near = clusters.find((c) => rgbDistance(c.rgb, mean) < CLUSTER_MERGE);
    if (near) {
      near.sum[0] += sums[key * 3];
      near.sum[1] += sums[key * 3 + 1];
      near.sum[2] += sums[key * 3 + 2];
      near.count += n[key];
    } else if (n[key] >= minimum && clusters.length < MAX_CLUSTERS) {
      clusters.push({ sum: [sums[key * 3], sums[key * 3 + 1], sums[key * 3 + 2]], count: n[key], rgb: mean });
    }
  }
  const merged = clusters.map((c) => ({ rgb: c.sum.map((s) => Math.round(s / c.count)) as unknown as Rgb, count: c.count }));
  // Anti-aliased edges are small runs of blends between two bigger colours: not colours of their own.
  const edgeLimit = (data.length / 4) * EDGE_BLEND_SHARE;
  return merged.filter(
    (c, k) =>
      c.count >= edgeLimit ||
      !merged.slice(0, k).some((a, j) => merged.slice(0, j).some((b) => distanceToSegment(c.rgb, a.rgb, b.rgb) < EDGE_RESIDUAL)),
  );
}

export function distanceToSegment(p: Rgb, a: Rgb, b: Rgb): number {
  const axis = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const length2 = axis[0] ** 2 + axis[1] ** 2 + axis[2] ** 2;
  const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((p[0] - a[0]) * axis[0] + (p[1] - a[1]) * axis[1] + (p[2] - a[2]) * axis[2]) / length2));
  return Math.hypot(p[0] - a[0] - t * axis[0], p[1] - a[1] - t * axis[1], p[2] - a[2] - t * axis[2]);
}

export function rgbDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export const clamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0);
