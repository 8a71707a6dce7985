/**
 * The image operations the local refiner can apply, the order they are applied in, which of them
 * work on the decoded pixels as a whole, and how the outcome describes each.
 */
import { rgbToHex, type NamedColour, type Rgb } from './colour-names';

export type { NamedColour, Rgb };

/** How a frame's width was asked for: exact pixels, or a share of the shorter side. */
export type BorderWidth = { px: number } | { fraction: number; label: 'thin' | 'medium' | 'thick' };

export type RefinementOperation =
  | { kind: 'mirror'; axis: 'horizontal' | 'vertical' }
  | { kind: 'monochrome' }
  /** 0..1: how far toward a full sepia tone. */
  | { kind: 'sepia'; strength: number }
  /**
   * Each foreground colour mapped onto a palette: the named colours first, then the theme's
   * (refinement-vocabulary.ts THEMES); strength 0..1 is how far each colour moves.
   */
  | { kind: 'palette'; colours: NamedColour[]; theme?: string; strength: number }
  /** Positive is warmer (more red, less blue), negative cooler; a fraction of the channel. */
  | { kind: 'temperature'; shift: number }
  | { kind: 'saturation'; factor: number }
  | { kind: 'brightness'; factor: number }
  | { kind: 'contrast'; factor: number }
  | { kind: 'invert' }
  | { kind: 'blur'; sigma: number }
  | { kind: 'sharpen'; sigma: number }
  /** Pixels nearest the colour cluster closest to `from` move to `to`; every other cluster stays. */
  | { kind: 'swap'; from: NamedColour; to: NamedColour }
  /** The background (the border's dominant colour) repainted; the foreground stays. */
  | { kind: 'background'; colour: NamedColour }
  /** The background's own colour made darker or lighter ("make the background darker"). */
  | { kind: 'background'; tone: 'darker' | 'lighter' }
  /** The canvas extended by this much on every side with the background, then scaled back to its size. */
  | { kind: 'padding'; size: { fraction: number } | { px: number } }
  /** The subject scaled about its own centre on the same canvas; the uncovered area is background. */
  | { kind: 'scale'; factor: number }
  /** Degrees, positive clockwise, about the canvas centre on the same canvas. */
  | { kind: 'rotate'; degrees: number }
  | { kind: 'transparent' }
  /** A frame painted over the outermost pixels; without a colour, black or white against the background. */
  | { kind: 'border'; colour?: NamedColour; width: BorderWidth };

export type OperationKind = RefinementOperation['kind'];

/**
 * Fixed order, whatever order the prompt used. Tonal grading first, streamed through libvips;
 * then the edits on the decoded pixels: the palette maps the graded colours, named colours
 * ("a white border") come after grading so nothing tints them, geometry next, and the frame last
 * so neither padding, scaling nor rotation moves it.
 */
export const APPLY_ORDER: OperationKind[] = [
  'monochrome', 'sepia', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'blur', 'sharpen',
  'palette', 'swap', 'background', 'mirror', 'padding', 'scale', 'rotate', 'transparent', 'border',
];

/** The operations applied on the decoded pixels as a whole rather than as a streamed sharp step. */
export const STRUCTURAL_KINDS: ReadonlySet<OperationKind> = new Set([
  'palette', 'swap', 'background', 'mirror', 'padding', 'scale', 'rotate', 'transparent', 'border',
]);

/** Operations that change colours (what a kept "colours" or "text" guards against). */
export const COLOUR_KINDS: ReadonlySet<OperationKind> = new Set([
  'monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'swap',
]);

/** Operations that move pixels. */
export const GEOMETRY_KINDS: ReadonlySet<OperationKind> = new Set(['mirror', 'padding', 'scale', 'rotate']);

export const colourLabel = (colour: NamedColour) => (colour.name.startsWith('#') ? colour.name : `${colour.name} (${rgbToHex(colour.rgb)})`);

/** A short human phrase for the outcome, e.g. "background colour → dark blue (#00008b)". */
export function describeOperation(op: RefinementOperation): string {
  const percent = (fraction: number) => `${Number((fraction * 100).toFixed(1))}%`;
  const times = (factor: number) => `×${factor.toFixed(2)}`;
  switch (op.kind) {
    case 'mirror':
      return op.axis === 'horizontal' ? 'mirrored left to right' : 'flipped upside down';
    case 'monochrome':
      return 'converted to black and white (greyscale)';
    case 'sepia':
      return `sepia toning (${percent(op.strength)})`;
    case 'palette': {
      const parts = [...(op.theme ? [`${op.theme} theme`] : []), ...op.colours.map(colourLabel)];
      return `palette → ${listWords(parts)}${op.strength < 1 ? ` (${percent(op.strength)} of the way)` : ''}`;
    }
    case 'temperature':
      return `${op.shift > 0 ? 'warmer' : 'cooler'} (${percent(Math.abs(op.shift))})`;
    case 'saturation':
      return `${op.factor > 1 ? 'more' : 'less'} saturated (${times(op.factor)})`;
    case 'brightness':
      return `${op.factor > 1 ? 'brighter' : 'darker'} (${times(op.factor)})`;
    case 'contrast':
      return `${op.factor > 1 ? 'more' : 'less'} contrast (${times(op.factor)})`;
    case 'invert':
      return 'inverted colours';
    case 'blur':
      return `softened with a blur (sigma ${op.sigma})`;
    case 'sharpen':
      return `sharpened (sigma ${op.sigma})`;
    case 'swap':
      return `${op.from.name} → ${colourLabel(op.to)}`;
    case 'background':
      return 'tone' in op ? `background colour → ${op.tone}` : `background colour → ${colourLabel(op.colour)}`;
    case 'padding':
      return `padding → ${'px' in op.size ? `${op.size.px} px` : `${percent(op.size.fraction)} of the canvas`} on every side`;
    case 'scale':
      return `subject ${op.factor > 1 ? 'bigger' : 'smaller'} (${times(op.factor)})`;
    case 'rotate':
      return `rotated ${Math.abs(op.degrees)}° ${op.degrees >= 0 ? 'clockwise' : 'anticlockwise'}`;
    case 'transparent':
      return 'background → transparent';
    case 'border': {
      const width = 'px' in op.width ? `${op.width.px} px` : `${op.width.label}, ${percent(op.width.fraction)} of the shorter side`;
      return `border → ${op.colour ? colourLabel(op.colour) : 'contrasting colour'} (${width})`;
    }
  }
}

export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Two decimals: keeps the operations (and the outcome built from them) free of float noise. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
