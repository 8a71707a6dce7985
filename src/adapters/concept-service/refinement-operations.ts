/**
 * The image operations the local refiner can apply, the colours a palette shift can aim at, the
 * order the operations are applied in, and how the notes describe each.
 */
export type Rgb = readonly [number, number, number];

/** Chromatic colours a palette shift can aim at. Black, white and grey are tone words (refinement-vocabulary.ts). */
export const COLOURS = {
  red: [214, 40, 40],
  orange: [245, 130, 32],
  yellow: [245, 208, 50],
  green: [56, 160, 72],
  blue: [40, 100, 220],
  purple: [128, 60, 170],
  pink: [240, 120, 170],
  brown: [130, 80, 45],
  teal: [0, 150, 150],
  gold: [212, 168, 55],
} as const satisfies Record<string, Rgb>;

export type ColourName = keyof typeof COLOURS;

export type RefinementOperation =
  | { kind: 'mirror'; axis: 'horizontal' | 'vertical' }
  | { kind: 'monochrome' }
  /** 0..1: how far toward a full sepia tone. */
  | { kind: 'sepia'; strength: number }
  /** Shift hues toward `target` (the mean of `colours`) keeping each pixel's luminance; strength 0..1. */
  | { kind: 'palette'; colours: ColourName[]; target: Rgb; strength: number }
  /** Positive is warmer (more red, less blue), negative cooler; a fraction of the channel. */
  | { kind: 'temperature'; shift: number }
  | { kind: 'saturation'; factor: number }
  | { kind: 'brightness'; factor: number }
  | { kind: 'contrast'; factor: number }
  | { kind: 'invert' }
  | { kind: 'blur'; sigma: number }
  | { kind: 'sharpen'; sigma: number };

export type OperationKind = RefinementOperation['kind'];

/** Fixed order, whatever order the prompt used: colour replacement first so a named palette tints a
 * monochrome/sepia result, tonal grading next, invert after grading, spatial filters last. */
export const APPLY_ORDER: OperationKind[] = [
  'mirror', 'monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'blur', 'sharpen',
];

/** A short human phrase for notes, e.g. "shifted colours toward orange, red and brown (45%)". */
export function describeOperation(op: RefinementOperation): string {
  const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;
  const times = (factor: number) => `×${factor.toFixed(2)}`;
  switch (op.kind) {
    case 'mirror':
      return op.axis === 'horizontal' ? 'mirrored horizontally' : 'flipped vertically';
    case 'monochrome':
      return 'converted to monochrome';
    case 'sepia':
      return `sepia toning (${percent(op.strength)})`;
    case 'palette':
      return `shifted colours toward ${listWords(op.colours)} (${percent(op.strength)})`;
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
  }
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
