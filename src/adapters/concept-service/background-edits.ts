/**
 * The edits that repaint the background of a flat logo, on one decoded RGBA buffer: a new colour,
 * a darker or lighter one, or transparency. Anti-aliased edges are blends of the background and
 * one foreground colour, so they are repainted as blends of the new background (no halo).
 */
import { rgbToHex } from './colour-names';
import {
  CLUSTER_MERGE,
  EDGE_RESIDUAL,
  clamp,
  colourClusters,
  distanceSquared,
  isBackground,
  rgbDistance,
  type Background,
  type RgbaImage,
} from './flat-logo-analysis';
import type { Rgb } from './refinement-operations';

/** WCAG contrast ratio below which a shape is hard to tell from the background. */
const FAINT_CONTRAST = 1.5;

/** A warning for the outcome when a foreground colour nearly vanishes against a new background colour. */
export function faintAgainst(image: RgbaImage, oldBackground: Rgb, newBackground: Rgb): string {
  const faint = colourClusters(image)
    .map((c) => c.rgb)
    .filter((c) => rgbDistance(c, newBackground) >= CLUSTER_MERGE && rgbDistance(c, oldBackground) >= CLUSTER_MERGE)
    .filter((c) => contrastRatio(c, newBackground) < FAINT_CONTRAST);
  return faint.length === 0 ? '' : `; note: ${faint.map(rgbToHex).join(', ')} in the logo is hard to see against it`;
}

function contrastRatio(a: Rgb, b: Rgb): number {
  const relative = (c: Rgb) => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [relative(a), relative(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** Darker keeps the hue and loses a third of the light; lighter goes 40% of the way to white. */
export function shaded(rgb: Rgb, tone: 'darker' | 'lighter'): Rgb {
  return rgb.map((c) => Math.round(tone === 'darker' ? c * 0.65 : c + (255 - c) * 0.4)) as unknown as Rgb;
}


/** A pixel this close to a foreground cluster is that colour, not an edge. */
const FLAT_REACH = 20;

/**
 * How much of each pixel is background, 0..1, and the foreground colour it is blended with:
 * anti-aliased edges are mixes of the background and one foreground colour, so a pixel lying on
 * the line between the two is that share of background. Repainting only the pure background would
 * leave a halo of the old colour round every shape.
 */
export function backgroundMatte(image: RgbaImage, background: Background) {
  const foreground = colourClusters(image)
    .map((c) => c.rgb)
    .filter((c) => rgbDistance(c, background.rgb) >= CLUSTER_MERGE);
  const { data } = image;
  const blendedWith: [number, number, number] = [0, 0, 0];
  const { mask } = background;
  const row = image.width;
  // An anti-aliased edge lies next to the background; a pixel away from it is not a blend with it.
  const nextToBackground = (p: number) =>
    !mask || mask[p - 1] === 1 || mask[p + 1] === 1 || mask[p - row] === 1 || mask[p + row] === 1 || mask[p - 2] === 1 || mask[p + 2] === 1 || mask[p - 2 * row] === 1 || mask[p + 2 * row] === 1;
  const share = (i: number): number => {
    if (isBackground(data, i, background)) return 1;
    if (background.transparent || foreground.some((f) => distanceSquared(data, i, f) < FLAT_REACH ** 2)) return 0;
    if (!nextToBackground(i >> 2)) return 0;
    let best = 0;
    let bestResidual = EDGE_RESIDUAL;
    for (const f of foreground) {
      const axis = [background.rgb[0] - f[0], background.rgb[1] - f[1], background.rgb[2] - f[2]];
      const length2 = axis[0] ** 2 + axis[1] ** 2 + axis[2] ** 2;
      const t = ((data[i] - f[0]) * axis[0] + (data[i + 1] - f[1]) * axis[1] + (data[i + 2] - f[2]) * axis[2]) / length2;
      if (t <= 0 || t >= 1) continue;
      const residual = Math.hypot(data[i] - f[0] - t * axis[0], data[i + 1] - f[1] - t * axis[1], data[i + 2] - f[2] - t * axis[2]);
      if (residual < bestResidual) {
        bestResidual = residual;
        best = t;
        blendedWith[0] = f[0];
        blendedWith[1] = f[1];
        blendedWith[2] = f[2];
      }
    }
    return best;
  };
  return { share, blendedWith };
}

export function recolourBackground(image: RgbaImage, background: Background, rgb: Rgb): void {
  const { data } = image;
  const { share } = backgroundMatte(image, background);
  const shift = [rgb[0] - background.rgb[0], rgb[1] - background.rgb[1], rgb[2] - background.rgb[2]];
  for (let i = 0; i < data.length; i += 4) {
    const t = share(i);
    if (t === 0) continue;
    if (t === 1) {
      data[i] = rgb[0];
      data[i + 1] = rgb[1];
      data[i + 2] = rgb[2];
      data[i + 3] = 255;
    } else {
      // Keep the foreground's part of the blend, swap the background's part.
      data[i] = clamp(data[i] + t * shift[0]);
      data[i + 1] = clamp(data[i + 1] + t * shift[1]);
      data[i + 2] = clamp(data[i + 2] + t * shift[2]);
    }
  }
}

export function makeBackgroundTransparent(image: RgbaImage, background: Background): void {
  const { data } = image;
  const { share, blendedWith } = backgroundMatte(image, background);
  for (let i = 0; i < data.length; i += 4) {
    const t = share(i);
    if (t === 0) continue;
    if (t === 1) {
      data[i + 3] = 0;
    } else {
      // An edge pixel becomes its foreground colour, as opaque as its foreground share.
      data[i] = blendedWith[0];
      data[i + 1] = blendedWith[1];
      data[i + 2] = blendedWith[2];
      data[i + 3] = clamp(data[i + 3] * (1 - t));
    }
  }
}
