/**
 * Palette and theme shifts for flat logos: each foreground colour cluster is mapped onto one
 * colour of the target palette, darkest cluster to darkest palette colour, so shapes stay apart
 * and light/dark order is kept; the background is left alone. Shading inside a cluster and the
 * anti-aliased blends between two clusters are carried over (a blend of A and B becomes the same
 * blend of their targets). An image that is not made of flat colours (a photo) is tinted toward
 * the palette instead, and the outcome says so.
 */
import { hexToRgb, rgbToHex } from './colour-names';
import {
  EDGE_RESIDUAL,
  clamp,
  colourClusters,
  rgbDistance,
  type Background,
  type RgbaImage,
} from './flat-logo-analysis';
import { describeOperation, type RefinementOperation, type Rgb } from './refinement-operations';
import { THEMES } from './refinement-vocabulary';

type PaletteOperation = Extract<RefinementOperation, { kind: 'palette' }>;

/** A palette colour closer than this to the background would make its shape vanish into it. */
const NEAR_BACKGROUND = 70;
/** Pixels within this distance of a cluster are that flat colour (plus shading). */
const FLAT_REACH = 20;
/** Below this share of explained pixels an image is not a flat logo. */
const FLAT_SHARE = 0.9;
/** How far the non-flat fallback tints toward the palette. */
const TINT_STRENGTH = 0.45;
/** Clusters darker than this HSL lightness are ink: lettering, outlines, eyes. */
const INK_LIGHTNESS = 0.22;
/** Above this many distinct colours the per-colour cache stops growing (photos). */
const CACHE_LIMIT = 1 << 16;

export interface PaletteResult {
  /** What happened, e.g. "teal (#009696) → red (#ff0000), …"; undefined when nothing could be mapped. */
  detail?: string;
  notApplied?: string;
}

export function applyPalette(image: RgbaImage, background: Background, op: PaletteOperation, skip?: Uint8Array): PaletteResult {
  const clusters = colourClusters(image).map((c) => c.rgb);
  const isBackgroundCluster = (c: Rgb) => !background.transparent && rgbDistance(c, background.rgb) < 40;
  const foreground = clusters.filter((c) => !isBackgroundCluster(c));
  if (foreground.length === 0) {
    // A photo or noise has no flat colours at all: tint it toward the palette, as a not-flat image is.
    const palette = paletteColours(op);
    if (isFlat(image, clusters) || palette.length === 0) return { notApplied: 'the image has no foreground colours to map' };
    return tintToward(image, op, palette, skip);
  }
  const targets = planTargets(op, foreground, background).map((t, i) => mix(foreground[i], t, op.strength));
  const sources = [...foreground, ...clusters.filter(isBackgroundCluster)];
  const mapped = [...targets, ...clusters.filter(isBackgroundCluster)];
  if (!isFlat(image, sources)) return tintToward(image, op, targets, skip);
  recolourClusters(image, sources, mapped, skip);
  const pairs = foreground.map((c, i) => `${rgbToHex(c)} → ${rgbToHex(targets[i])}`);
  return { detail: `${describeOperation(op)}: ${pairs.join(', ')}, background kept` };
}

function tintToward(image: RgbaImage, op: PaletteOperation, colours: Rgb[], skip?: Uint8Array): PaletteResult {
  const target = mean(colours);
  tint(image, target, TINT_STRENGTH * op.strength, skip);
  return { detail: `${describeOperation(op)}: tinted toward ${rgbToHex(target)} (the image is not made of a few flat colours, so they could not be mapped one by one)` };
}

/** The colours a palette instruction names, then its themes' colours. */
function paletteColours(op: PaletteOperation): Rgb[] {
  const themes = THEMES.filter((t) => op.theme?.split(' and ').includes(t.name));
  return [...op.colours.map((c) => c.rgb), ...themes.flatMap((t) => (t.colours ?? []).map(hexToRgb))];
}

/** One target per foreground cluster, in the same light/dark order as the clusters. */
export function planTargets(op: PaletteOperation, foreground: Rgb[], background: Background): Rgb[] {
  const themes = THEMES.filter((t) => op.theme?.split(' and ').includes(t.name));
  const byLuma = foreground.map((c, i) => ({ c, i })).sort((a, b) => luma(a.c) - luma(b.c) || a.i - b.i);
  const keepHue = op.colours.length === 0 ? themes.find((t) => t.keepHue)?.keepHue : undefined;
  const targets: Rgb[] = new Array(foreground.length);
  if (keepHue) {
    // Pastel and neon keep each colour's hue; near-greys and near-blacks (text, outlines) stay as they are.
    const chromatic = byLuma.filter(({ c }) => rgbToHsl(c)[1] >= 0.15 && rgbToHsl(c)[2] >= 0.25);
    for (const { c, i } of byLuma) targets[i] = c;
    chromatic.forEach(({ c, i }, rank) => {
      const [h] = rgbToHsl(c);
      const [low, high] = keepHue.lightness;
      const l = chromatic.length === 1 ? (low + high) / 2 : low + ((high - low) * rank) / (chromatic.length - 1);
      targets[i] = hslToRgb(h, keepHue.saturation, l);
    });
    return targets;
  }
  const named = op.colours.map((c) => c.rgb);
  const themed = themes.flatMap((t) => (t.colours ?? []).map(hexToRgb)).filter((c) => !named.some((n) => rgbDistance(n, c) < 60));
  const visible = (list: Rgb[]) => {
    if (background.transparent) return list;
    const kept = list.filter((c) => rgbDistance(c, background.rgb) >= NEAR_BACKGROUND);
    return kept.length > 0 ? kept : list;
  };
  // Lettering and outlines (near-black ink) take a dark shade of the palette, so they stay legible;
  // the other clusters share out the palette.
  const ink = byLuma.filter(({ c }) => rgbToHsl(c)[2] < INK_LIGHTNESS);
  const rest = ink.length < byLuma.length ? byLuma.filter((entry) => !ink.includes(entry)) : byLuma;
  const candidates = [...visible(named), ...visible(themed)];
  const lighterThanInk = rest === byLuma ? themed : themed.filter((c) => rgbToHsl(c)[2] >= 0.25);
  const chosen = choose(visible(named), visible(lighterThanInk.length > 0 ? lighterThanInk : themed), rest.length).sort((a, b) => luma(a) - luma(b));
  rest.forEach(({ i }, rank) => {
    targets[i] = chosen[rank];
  });
  if (rest !== byLuma) {
    const darkest = [...candidates, ...chosen].reduce((a, b) => (luma(b) < luma(a) ? b : a));
    const shade = mix(darkest, [0, 0, 0], rgbToHsl(darkest)[2] > 0.3 ? 0.55 : 0.25);
    for (const { i } of ink) targets[i] = shade;
  }
  return targets;
}

/**
 * `count` colours: the named ones first, then the theme's, each time the one furthest in
 * lightness from those already chosen (so a few clusters get a palette's range, not its middle),
 * then tints and shades of what there is.
 */
function choose(named: Rgb[], themed: Rgb[], count: number): Rgb[] {
  const chosen = named.slice(0, count);
  const left = [...themed].sort((a, b) => luma(a) - luma(b));
  while (chosen.length < count && left.length > 0) {
    const spread = (c: Rgb) => (chosen.length === 0 ? -luma(c) : Math.min(...chosen.map((k) => Math.abs(luma(k) - luma(c)))));
    const best = left.reduce((a, b) => (spread(b) > spread(a) ? b : a));
    chosen.push(best);
    left.splice(left.indexOf(best), 1);
  }
  // Fewer palette colours than clusters: lighter and darker versions keep every shape distinct.
  const base = [...chosen];
  for (let k = 0; chosen.length < count; k++) {
    const step = Math.floor(k / (2 * base.length)) + 1;
    const colour = base[Math.floor(k / 2) % base.length];
    chosen.push(k % 2 === 0 ? mix(colour, [255, 255, 255], Math.min(0.8, 0.45 * step)) : mix(colour, [0, 0, 0], Math.min(0.8, 0.4 * step)));
  }
  return chosen;
}

/**
 * Recolours every pixel by the cluster it belongs to: a flat pixel keeps its offset from its
 * cluster (shading), a blend of two clusters becomes the same blend of their targets.
 */
export function recolourClusters(image: RgbaImage, sources: Rgb[], targets: Rgb[], skip?: Uint8Array): void {
  const { data } = image;
  const cache = new Map<number, number>();
  for (let i = 0, p = 0; i < data.length; i += 4, p++) {
    if (data[i + 3] === 0 || skip?.[p]) continue;
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    let out = cache.get(key);
    if (out === undefined) {
      out = mapColour([data[i], data[i + 1], data[i + 2]], sources, targets);
      if (cache.size < CACHE_LIMIT) cache.set(key, out);
    }
    data[i] = out >> 16;
    data[i + 1] = (out >> 8) & 255;
    data[i + 2] = out & 255;
  }
}

function mapColour(px: Rgb, sources: Rgb[], targets: Rgb[]): number {
  let nearest = 0;
  let nearestDistance = Infinity;
  sources.forEach((s, k) => {
    const d = rgbDistance(px, s);
    if (d < nearestDistance) {
      nearestDistance = d;
      nearest = k;
    }
  });
  const pack = (c: number[]) => (clamp(c[0]) << 16) | (clamp(c[1]) << 8) | clamp(c[2]);
  const offset = (k: number) => pack([0, 1, 2].map((j) => targets[k][j] + px[j] - sources[k][j]));
  if (nearestDistance <= FLAT_REACH) return offset(nearest);
  const blend = blendOf(px, sources);
  if (blend) return pack([0, 1, 2].map((j) => targets[blend.a][j] * (1 - blend.t) + targets[blend.b][j] * blend.t));
  return offset(nearest);
}

/** The two clusters a pixel is a blend of, and how far from the first it lies, if it lies near the line between them. */
function blendOf(px: Rgb, sources: Rgb[]): { a: number; b: number; t: number } | undefined {
  let best: { a: number; b: number; t: number } | undefined;
  let bestResidual = EDGE_RESIDUAL;
  for (let a = 0; a < sources.length; a++) {
    for (let b = a + 1; b < sources.length; b++) {
      const axis = [0, 1, 2].map((j) => sources[b][j] - sources[a][j]);
      const length2 = axis[0] ** 2 + axis[1] ** 2 + axis[2] ** 2;
      if (length2 === 0) continue;
      const t = ((px[0] - sources[a][0]) * axis[0] + (px[1] - sources[a][1]) * axis[1] + (px[2] - sources[a][2]) * axis[2]) / length2;
      if (t <= 0 || t >= 1) continue;
      const residual = Math.hypot(...[0, 1, 2].map((j) => px[j] - sources[a][j] - t * axis[j]));
      if (residual < bestResidual) {
        bestResidual = residual;
        best = { a, b, t };
      }
    }
  }
  return best;
}

/** Whether (a sample of) the opaque pixels are nearly all flat colours or blends of two. */
function isFlat(image: RgbaImage, sources: Rgb[]): boolean {
  const { data } = image;
  const pixels = data.length / 4;
  const stride = Math.max(1, Math.floor(pixels / 20_000)) * 4;
  let seen = 0;
  let explained = 0;
  for (let i = 0; i < data.length; i += stride) {
    if (data[i + 3] === 0) continue;
    seen++;
    const px: Rgb = [data[i], data[i + 1], data[i + 2]];
    if (sources.some((s) => rgbDistance(px, s) <= FLAT_REACH) || blendOf(px, sources)) explained++;
  }
  return seen === 0 || explained >= seen * FLAT_SHARE;
}

const LUMA: Rgb = [0.2126, 0.7152, 0.0722];
export const luma = (c: Rgb) => LUMA[0] * c[0] + LUMA[1] * c[1] + LUMA[2] * c[2];

/** Moves each pixel's chroma toward `target` keeping its luminance (see colouriseMatrix in local-refiner.ts). */
function tint(image: RgbaImage, target: Rgb, strength: number, skip?: Uint8Array): void {
  const targetLuma = luma(target);
  const direction = targetLuma > 0 ? target.map((c) => c / targetLuma) : [1, 1, 1];
  const { data } = image;
  for (let i = 0, p = 0; i < data.length; i += 4, p++) {
    if (skip?.[p]) continue;
    const y = LUMA[0] * data[i] + LUMA[1] * data[i + 1] + LUMA[2] * data[i + 2];
    for (let j = 0; j < 3; j++) data[i + j] = clamp((1 - strength) * data[i + j] + strength * direction[j] * y);
  }
}

const mix = (from: Rgb, to: Rgb, t: number): Rgb => [0, 1, 2].map((j) => Math.round(from[j] + (to[j] - from[j]) * t)) as unknown as Rgb;
const mean = (colours: Rgb[]): Rgb =>
  [0, 1, 2].map((j) => Math.round(colours.reduce((sum, c) => sum + c[j], 0) / colours.length)) as unknown as Rgb;

export function rgbToHsl([r, g, b]: Rgb): [number, number, number] {
  const [rn, gn, bn] = [r / 255, g / 255, b / 255];
  const max = Math.max(rn, gn, bn);
  const min = Math.min(rn, gn, bn);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === rn ? ((gn - bn) / d + (gn < bn ? 6 : 0)) / 6 : max === gn ? ((bn - rn) / d + 2) / 6 : ((rn - gn) / d + 4) / 6;
  return [h, s, l];
}

export function hslToRgb(h: number, s: number, l: number): Rgb {
  if (s === 0) return [Math.round(l * 255), Math.round(l * 255), Math.round(l * 255)];
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [Math.round(channel(h + 1 / 3) * 255), Math.round(channel(h) * 255), Math.round(channel(h - 1 / 3) * 255)];
}
