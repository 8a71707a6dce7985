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

/**
 * Colours a structural edit can paint with or point at ("a white border", "change the teal to
 * purple"): the palette colours plus the neutrals and a few common names. Unlike a palette shift
 * these name an exact colour, so neutrals belong here.
 */
export const NAMED_COLOURS: Record<string, Rgb> = {
  ...COLOURS,
  white: [255, 255, 255],
  black: [0, 0, 0],
  grey: [128, 128, 128],
  silver: [192, 192, 192],
  navy: [20, 35, 90],
  beige: [225, 210, 180],
  cream: [250, 243, 220],
  maroon: [110, 20, 35],
  magenta: [220, 40, 160],
  lime: [160, 220, 50],
};

/** A named colour after its shade word: "dark blue", "light grey". */
export interface NamedColour {
  name: string;
  rgb: Rgb;
}

/** How a frame's width was asked for: exact pixels, or a share of the shorter side. */
export type BorderWidth = { px: number } | { fraction: number; label: 'thin' | 'medium' | 'thick' };

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
  | { kind: 'sharpen'; sigma: number }
  /** Pixels nearest the colour cluster closest to `from` move to `to`; every other cluster stays. */
  | { kind: 'swap'; from: NamedColour; to: NamedColour }
  /** The background (the border's dominant colour) repainted; the foreground stays. */
  | { kind: 'background'; colour: NamedColour }
  /** The background's own colour made darker or lighter ("make the background darker"). */
  | { kind: 'background'; tone: 'darker' | 'lighter' }
  /** The subject scaled about its own centre on the same canvas; the uncovered area is background. */
  | { kind: 'scale'; factor: number }
  /** Degrees, positive clockwise, about the canvas centre on the same canvas. */
  | { kind: 'rotate'; degrees: number }
  | { kind: 'transparent' }
  /** A frame painted over the outermost pixels; without a colour, black or white against the background. */
  | { kind: 'border'; colour?: NamedColour; width: BorderWidth };

export type OperationKind = RefinementOperation['kind'];

/** Fixed order, whatever order the prompt used: colour replacement first so a named palette tints a
 * monochrome/sepia result, tonal grading next, invert after grading, spatial filters, then the
 * structural edits: they name exact colours ("a white border"), which grading must not tint, and
 * the frame comes last so neither scaling nor rotation moves it. */
export const APPLY_ORDER: OperationKind[] = [
  'mirror', 'monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'blur', 'sharpen',
  'swap', 'background', 'scale', 'rotate', 'transparent', 'border',
];

/** The operations applied on the decoded pixels as a whole rather than as a streamed sharp step. */
export const STRUCTURAL_KINDS: ReadonlySet<OperationKind> = new Set(['swap', 'background', 'scale', 'rotate', 'transparent', 'border']);

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
    case 'swap':
      return `changed ${op.from.name} to ${op.to.name}`;
    case 'background':
      return `background made ${'tone' in op ? op.tone : op.colour.name}`;
    case 'scale':
      return `subject made ${op.factor > 1 ? 'bigger' : 'smaller'} (${times(op.factor)})`;
    case 'rotate':
      return `rotated ${Math.abs(op.degrees)}° ${op.degrees >= 0 ? 'clockwise' : 'anticlockwise'}`;
    case 'transparent':
      return 'background made transparent';
    case 'border': {
      const width = 'px' in op.width ? `${op.width.px} px` : `${op.width.label}, ${percent(op.width.fraction)} of the shorter side`;
      return `added a ${op.colour?.name ?? 'contrasting'} border (${width})`;
    }
  }
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Two decimals: keeps the operations (and the notes built from them) free of float noise. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
