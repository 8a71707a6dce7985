/**
 * Structural edits for flat logos, on the decoded RGBA pixels: the background is the border's
 * dominant colour, the foreground everything else, and the colour clusters are the few flat colours
 * such an image is made of. Pure functions on one buffer (plus one more for a scale or rotation),
 * so the result depends only on the pixels and the operations.
 */
import { backgroundMatte, faintAgainst, makeBackgroundTransparent, recolourBackground, shaded } from './background-edits';
import {
  CLUSTER_MERGE,
  CLUSTER_REACH,
  clamp,
  colourClusters,
  connectedBackground,
  distanceSquared,
  foregroundBox,
  rgbDistance,
  type Background,
  type RgbaImage,
} from './flat-logo-analysis';
import { canvasCentre, fitScale, mirror, transform } from './geometry-edits';
import { rgbToHex } from './colour-names';
import { applyPalette, rgbToHsl } from './palette-mapping';
import { describeOperation, type RefinementOperation, type Rgb } from './refinement-operations';
import { findTextRegion, type Box } from './text-regions';


export type StructuralOperation = Extract<
  RefinementOperation,
  { kind: 'palette' | 'swap' | 'background' | 'mirror' | 'padding' | 'scale' | 'rotate' | 'transparent' | 'border' }
>;

/** A named colour further than this from every cluster is not in the image. */
const SWAP_MAX_DISTANCE = 160;
/** A subject that cannot grow by at least this much already fills the canvas. */
const MIN_GROWTH = 1.02;

/** What became of one edit: carried out (with what it measured, when that says more than the request), or why not. */
export interface EditResult {
  detail?: string;
  notApplied?: string;
}

/** Regions whose pixels must come out as they were in `original` (the decoded input, before any tone step). */
export interface Protection {
  background: boolean;
  text: boolean;
  /** The input before the tone steps; without it the image itself is the reference. */
  original?: RgbaImage;
}

export interface StructuralEditsResult {
  image: RgbaImage;
  /** One per operation, in the same order. */
  results: EditResult[];
  /** When text was to be kept: where it was found (undefined: not found). */
  textRegion?: Box;
}

/**
 * Applies the edits in the given order (APPLY_ORDER) and answers, for each, what was done or why
 * it could not be. Kept regions are restored from the original after the colour edits and before
 * the background and geometry edits, which move or repaint them as a whole.
 */
export function applyStructuralEdits(
  image: RgbaImage,
  operations: readonly StructuralOperation[],
  protection: Protection = { background: false, text: false },
): StructuralEditsResult {
  const results: EditResult[] = operations.map(() => ({}));
  const reference = protection.original ?? snapshot(image, protection);
  const originalBackground = reference ? connectedBackground(reference) : undefined;
  const textRegion = protection.text && reference && originalBackground ? findTextRegion(reference, originalBackground) : undefined;
  let background = connectedBackground(image);
  let current = image;
  let restored = false;
  const restore = () => {
    if (restored || !reference || !originalBackground) return;
    restored = true;
    restoreKept(current, reference, originalBackground, background, protection.background, textRegion);
    if (protection.background) background = originalBackground;
  };
  for (const [index, op] of operations.entries()) {
    if (op.kind !== 'palette' && op.kind !== 'swap') restore();
    const result = results[index];
    switch (op.kind) {
      case 'palette':
        Object.assign(result, applyPalette(current, background, op));
        break;
      case 'swap': {
        const moved = swapColour(current, background, op.from.rgb, op.to.rgb, protection.background);
        if (typeof moved === 'string') result.notApplied = moved;
        else background = moved;
        break;
      }
      case 'background': {
        const rgb = 'tone' in op ? shaded(background.rgb, op.tone) : op.colour.rgb;
        if (background.transparent) {
          result.notApplied = 'the background is transparent: there is no background colour to change';
          break;
        }
        recolourBackground(current, background, rgb);
        const described = 'tone' in op ? `background colour → ${op.tone} (${rgbToHex(background.rgb)} → ${rgbToHex(rgb)})` : undefined;
        const faint = faintAgainst(current, background.rgb, rgb);
        if (described || faint) result.detail = `${described ?? describeOperation(op)}${faint}`;
        background = { ...background, rgb, transparent: false };
        break;
      }
      case 'transparent':
        if (background.transparent) {
          result.notApplied = 'the background is already transparent';
          break;
        }
        makeBackgroundTransparent(current, background);
        background = { ...background, transparent: true };
        break;
      case 'mirror':
        mirror(current, op.axis);
        background = connectedBackground(current, background);
        break;
      case 'padding': {
        const shorter = Math.min(current.width, current.height);
        const fraction = 'px' in op.size ? op.size.px / shorter : op.size.fraction;
        const factor = 1 / (1 + 2 * fraction);
        current = transform(current, background, canvasCentre(current), factor, 0);
        background = connectedBackground(current, background);
        result.detail = `padding → ${Math.round(fraction * 100)}% of the canvas on every side (the logo scaled ×${factor.toFixed(2)} on the same canvas)`;
        break;
      }
      case 'scale': {
        const box = foregroundBox(current, background);
        if (!box) {
          result.notApplied = 'the image has no foreground to scale';
          break;
        }
        const fitted = fitScale(box, current, op.factor);
        if (op.factor > 1 && fitted.factor < MIN_GROWTH) {
          result.notApplied = 'the subject already fills the canvas';
          break;
        }
        // A rotation right after is folded into the same pass: one resampling, one extra buffer.
        const next = operations[index + 1];
        current = transform(current, background, fitted.centre, fitted.factor, next?.kind === 'rotate' ? next.degrees : 0, fitted.shift);
        background = connectedBackground(current, background);
        if (fitted.factor !== op.factor) {
          result.detail = `subject bigger (×${fitted.factor.toFixed(2)}, as large as fits on the canvas; ×${op.factor.toFixed(2)} was asked)`;
        }
        break;
      }
      case 'rotate':
        if (operations[index - 1]?.kind !== 'scale' || results[index - 1].notApplied) {
          current = transform(current, background, canvasCentre(current), 1, op.degrees);
          background = connectedBackground(current, background);
        }
        break;
      case 'border':
        paintBorder(current, op, background);
        break;
    }
  }
  restore();
  return { image: current, results, ...(protection.text ? { textRegion } : {}) };
}

/** Without a separate original, the image before the colour edits is the reference: copied only when something is kept. */
function snapshot(image: RgbaImage, protection: Protection): RgbaImage | undefined {
  if (!protection.background && !protection.text) return undefined;
  return { ...image, data: Buffer.from(image.data) };
}

/**
 * Puts kept pixels back: the original background where it was background (an anti-aliased edge
 * gets back its background share), and the lettering's pixels inside the text region.
 */
function restoreKept(image: RgbaImage, original: RgbaImage, originalBackground: Background, background: Background, keepBackground: boolean, text: Box | undefined): void {
  const { data, width } = image;
  const source = original.data;
  const { share } = backgroundMatte(original, originalBackground);
  for (let i = 0, p = 0; i < data.length; i += 4, p++) {
    const t = share(i);
    const x = p % width;
    const y = (p - x) / width;
    if (text && t < 1 && x >= text.left && x <= text.right && y >= text.top && y <= text.bottom) {
      data[i] = source[i];
      data[i + 1] = source[i + 1];
      data[i + 2] = source[i + 2];
      data[i + 3] = source[i + 3];
      continue;
    }
    if (!keepBackground || t === 0) continue;
    if (t === 1) {
      data[i] = source[i];
      data[i + 1] = source[i + 1];
      data[i + 2] = source[i + 2];
      data[i + 3] = source[i + 3];
    } else if (!background.transparent && !originalBackground.transparent) {
      // The edit moved this pixel's background share along with its foreground share: undo the former.
      for (let c = 0; c < 3; c++) data[i + c] = clamp(data[i + c] + t * (originalBackground.rgb[c] - background.rgb[c]));
    }
  }
}

/** Hue within which a chromatic name ("blue") finds its cluster, whatever the cluster's shade. */
const SWAP_HUE_REACH = 40;

/**
 * The cluster a colour name points at. A chromatic name goes by hue first (so "blue" finds a sky
 * blue rather than a navy-black text that is nearer in RGB), then lightness; a neutral one, or a
 * name whose hue the image lacks, by RGB distance.
 */
function clusterNamed<C extends { rgb: Rgb }>(clusters: C[], from: Rgb): C | undefined {
  const [h, s, l] = rgbToHsl(from);
  if (s >= 0.25) {
    const hueOf = (c: C) => rgbToHsl(c.rgb);
    const degrees = (a: number, b: number) => Math.min(Math.abs(a - b), 1 - Math.abs(a - b)) * 360;
    const coloured = clusters
      .map((c) => ({ c, hsl: hueOf(c) }))
      .filter(({ hsl }) => hsl[1] >= 0.3 && hsl[2] > 0.08 && hsl[2] < 0.95 && degrees(hsl[0], h) <= SWAP_HUE_REACH);
    if (coloured.length > 0) {
      const score = ({ hsl }: { hsl: number[] }) => degrees(hsl[0], h) + 60 * Math.abs(hsl[2] - l);
      return coloured.reduce((best, next) => (score(next) < score(best) ? next : best)).c;
    }
  }
  const nearest = clusters.length === 0 ? undefined : clusters.reduce((best, c) => (rgbDistance(c.rgb, from) < rgbDistance(best.rgb, from) ? c : best));
  return nearest && rgbDistance(nearest.rgb, from) <= SWAP_MAX_DISTANCE ? nearest : undefined;
}

/**
 * Moves the cluster nearest `from` so its centre lands on `to`, each pixel by the same offset so
 * shading inside the cluster survives. Answers the background after the move (it may have been
 * the swapped cluster), or why nothing was swapped.
 */
function swapColour(image: RgbaImage, background: Background, from: Rgb, to: Rgb, keepBackground: boolean): Background | string {
  const clusters = colourClusters(image);
  const target = clusterNamed(clusters, from);
  if (!target) return `no colour near ${rgbToHex(from)} in the image`;
  const isBackgroundColour = !background.transparent && rgbDistance(background.rgb, target.rgb) < CLUSTER_MERGE;
  if (isBackgroundColour && keepBackground) return 'that colour is the background, which is kept';
  const others = clusters.filter((c) => c !== target);
  const shift = [to[0] - target.rgb[0], to[1] - target.rgb[1], to[2] - target.rgb[2]];
  const { data } = image;
  for (let i = 0; i < data.length; i += 4) {
    const d = distanceSquared(data, i, target.rgb);
    if (d > CLUSTER_REACH ** 2 || data[i + 3] === 0) continue;
    if (others.some((c) => distanceSquared(data, i, c.rgb) < d)) continue;
    data[i] = clamp(data[i] + shift[0]);
    data[i + 1] = clamp(data[i + 1] + shift[1]);
    data[i + 2] = clamp(data[i + 2] + shift[2]);
  }
  return isBackgroundColour ? { ...background, rgb: to, transparent: false } : background;
}

function paintBorder({ data, width, height }: RgbaImage, op: Extract<StructuralOperation, { kind: 'border' }>, background: Background): void {
  const thickness = borderThickness(op, width, height);
  const backgroundLuma = 0.2126 * background.rgb[0] + 0.7152 * background.rgb[1] + 0.0722 * background.rgb[2];
  // Without a named colour the frame should show against the background.
  const rgb = op.colour?.rgb ?? (background.transparent || backgroundLuma > 128 ? [0, 0, 0] : [255, 255, 255]);
  for (let y = 0; y < height; y++) {
    const edgeRow = y < thickness || y >= height - thickness;
    for (let x = 0; x < width; x++) {
      if (!edgeRow && x >= thickness && x < width - thickness) continue;
      const i = (y * width + x) * 4;
      data[i] = rgb[0];
      data[i + 1] = rgb[1];
      data[i + 2] = rgb[2];
      data[i + 3] = 255;
    }
  }
}

/** The frame's width in pixels on an image of this size: never less than one pixel, never past the middle. */
export function borderThickness(op: Extract<StructuralOperation, { kind: 'border' }>, width: number, height: number): number {
  const shorter = Math.min(width, height);
  const requested = 'px' in op.width ? op.width.px : Math.round(op.width.fraction * shorter);
  return Math.min(Math.max(1, requested), Math.ceil(shorter / 2));
}
