/**
 * Structural edits for flat logos, on the decoded RGBA pixels: the background is the border's
 * dominant colour, the foreground everything else, and the colour clusters are the few flat colours
 * such an image is made of. Pure functions on one buffer (plus one more for a scale or rotation),
 * so the result depends only on the pixels and the operations.
 */
import {
  CLUSTER_MERGE,
  CLUSTER_REACH,
  EDGE_RESIDUAL,
  clamp,
  colourClusters,
  distanceSquared,
  findBackground,
  foregroundBox,
  isBackground,
  rgbDistance,
  type Background,
  type RgbaImage,
} from './flat-logo-analysis';
import type { RefinementOperation, Rgb } from './refinement-operations';


export type StructuralOperation = Extract<
  RefinementOperation,
  { kind: 'swap' | 'background' | 'scale' | 'rotate' | 'transparent' | 'border' }
>;

/** A named colour further than this from every cluster is not in the image. */
const SWAP_MAX_DISTANCE = 160;


/**
 * Applies the edits in the given order and answers, for each one that could not be carried out,
 * why (a colour to swap that the image does not have).
 */
export function applyStructuralEdits(image: RgbaImage, operations: readonly StructuralOperation[]): {
  image: RgbaImage;
  notApplied: Map<StructuralOperation, string>;
} {
  const notApplied = new Map<StructuralOperation, string>();
  let background = findBackground(image);
  let current = image;
  for (const [index, op] of operations.entries()) {
    switch (op.kind) {
      case 'swap': {
        const moved = swapColour(current, background, op.from.rgb, op.to.rgb);
        if (moved === undefined) notApplied.set(op, `no colour near ${op.from.name} in the image`);
        else background = moved;
        break;
      }
      case 'background': {
        const rgb = 'tone' in op ? shaded(background.rgb, op.tone) : op.colour.rgb;
        recolourBackground(current, background, rgb);
        background = { rgb, transparent: false };
        break;
      }
      case 'transparent':
        makeBackgroundTransparent(current, background);
        background = { ...background, transparent: true };
        break;
      case 'scale': {
        const box = foregroundBox(current, background);
        const centre = box ? { x: (box.left + box.right + 1) / 2, y: (box.top + box.bottom + 1) / 2 } : canvasCentre(current);
        // A rotation right after is folded into the same pass: one resampling, one extra buffer.
        const next = operations[index + 1];
        current = transform(current, background, centre, op.factor, next?.kind === 'rotate' ? next.degrees : 0);
        break;
      }
      case 'rotate':
        if (operations[index - 1]?.kind !== 'scale') current = transform(current, background, canvasCentre(current), 1, op.degrees);
        break;
      case 'border':
        paintBorder(current, op, background);
        break;
    }
  }
  return { image: current, notApplied };
}

/** Darker keeps the hue and loses a third of the light; lighter goes 40% of the way to white. */
function shaded(rgb: Rgb, tone: 'darker' | 'lighter'): Rgb {
  return rgb.map((c) => Math.round(tone === 'darker' ? c * 0.65 : c + (255 - c) * 0.4)) as unknown as Rgb;
}


/**
 * Moves the cluster nearest `from` so its centre lands on `to`, each pixel by the same offset so
 * shading inside the cluster survives. Answers the background after the move (it may have been
 * the swapped cluster), or undefined when no cluster is near enough to `from`.
 */
function swapColour(image: RgbaImage, background: Background, from: Rgb, to: Rgb): Background | undefined {
  const clusters = colourClusters(image);
  if (clusters.length === 0) return undefined;
  const target = clusters.reduce((best, c) => (rgbDistance(c.rgb, from) < rgbDistance(best.rgb, from) ? c : best));
  if (rgbDistance(target.rgb, from) > SWAP_MAX_DISTANCE) return undefined;
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
  if (!background.transparent && rgbDistance(background.rgb, target.rgb) < CLUSTER_MERGE) return { rgb: to, transparent: false };
  return background;
}

/** A pixel this close to a foreground cluster is that colour, not an edge. */
const FLAT_REACH = 20;

/**
 * How much of each pixel is background, 0..1, and the foreground colour it is blended with:
 * anti-aliased edges are mixes of the background and one foreground colour, so a pixel lying on
 * the line between the two is that share of background. Repainting only the pure background would
 * leave a halo of the old colour round every shape.
 */
function backgroundMatte(image: RgbaImage, background: Background) {
  const foreground = colourClusters(image)
    .map((c) => c.rgb)
    .filter((c) => rgbDistance(c, background.rgb) >= CLUSTER_MERGE);
  const { data } = image;
  const blendedWith: [number, number, number] = [0, 0, 0];
  const share = (i: number): number => {
    if (isBackground(data, i, background)) return 1;
    if (background.transparent || foreground.some((f) => distanceSquared(data, i, f) < FLAT_REACH ** 2)) return 0;
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

function recolourBackground(image: RgbaImage, background: Background, rgb: Rgb): void {
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

function makeBackgroundTransparent(image: RgbaImage, background: Background): void {
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

function canvasCentre({ width, height }: RgbaImage) {
  return { x: width / 2, y: height / 2 };
}

/**
 * Scales by `factor` about `centre`, then rotates by `degrees` clockwise about the canvas centre,
 * on the same canvas. Each output pixel samples the input bilinearly at its inverse position;
 * samples off the input are background.
 */
function transform(image: RgbaImage, background: Background, centre: { x: number; y: number }, factor: number, degrees: number): RgbaImage {
  const { data, width, height } = image;
  const out = Buffer.alloc(data.length);
  const fill = [background.rgb[0], background.rgb[1], background.rgb[2], background.transparent ? 0 : 255];
  const pivot = canvasCentre(image);
  const radians = (degrees * Math.PI) / 180;
  // Snap right angles so a quarter turn moves pixels exactly, with no interpolation blur.
  const snap = (v: number) => (Math.abs(v - Math.round(v)) < 1e-12 ? Math.round(v) : v);
  const cos = snap(Math.cos(radians));
  const sin = snap(Math.sin(radians));
  const sample = (x: number, y: number, c: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? fill[c] : data[(y * width + x) * 4 + c];
  // Each output row walks the input along a straight line, so the source position is stepped, not recomputed.
  const stepX = { x: cos / factor, y: -sin / factor };
  for (let oy = 0; oy < height; oy++) {
    // Pixel centres: undo the rotation about the pivot, then the scale about the subject's centre.
    const rx = 0.5 - pivot.x;
    const ry = oy + 0.5 - pivot.y;
    let sx = (cos * rx + sin * ry + pivot.x - centre.x) / factor + centre.x - 0.5;
    let sy = (-sin * rx + cos * ry + pivot.y - centre.y) / factor + centre.y - 0.5;
    let o = oy * width * 4;
    for (let ox = 0; ox < width; ox++, sx += stepX.x, sy += stepX.y, o += 4) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        const i00 = (y0 * width + x0) * 4;
        const i01 = i00 + width * 4;
        for (let c = 0; c < 4; c++) {
          out[o + c] = clamp(data[i00 + c] * w00 + data[i00 + 4 + c] * w10 + data[i01 + c] * w01 + data[i01 + 4 + c] * w11);
        }
      } else {
        for (let c = 0; c < 4; c++) {
          out[o + c] = clamp(
            sample(x0, y0, c) * w00 + sample(x0 + 1, y0, c) * w10 + sample(x0, y0 + 1, c) * w01 + sample(x0 + 1, y0 + 1, c) * w11,
          );
        }
      }
    }
  }
  return { data: out, width, height };
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
