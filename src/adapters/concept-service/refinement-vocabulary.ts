/**
 * The words the local refiner understands: the phrases that ask for an operation (colour names and
 * moods among them), the words that negate or intensify them, and the preserved aspects that rule
 * operations out. Tables only; refinement-instructions.ts reads a prompt with them.
 */
import { APPLY_ORDER, type ColourName, type OperationKind } from './refinement-operations';

export type Axis = 'brightness' | 'saturation' | 'contrast' | 'temperature' | 'sharpness';

/** What one matched phrase asks for, before amounts are settled across the whole prompt. */
export type Signal =
  | { kind: 'colour'; colour: ColourName }
  | { kind: 'axis'; axis: Axis; direction: 1 | -1; weight?: number }
  | { kind: 'monochrome' }
  | { kind: 'sepia'; strength: number }
  | { kind: 'invert' }
  | { kind: 'mirror'; axis: 'horizontal' | 'vertical' };

export interface Rule {
  phrases: string[];
  signals: Signal[];
}

const up = (axis: Axis, weight = 1): Signal => ({ kind: 'axis', axis, direction: 1, weight });
const down = (axis: Axis, weight = 1): Signal => ({ kind: 'axis', axis, direction: -1, weight });
const colours = (...names: ColourName[]): Signal[] => names.map((colour) => ({ kind: 'colour', colour }));

/**
 * The vocabulary. Phrases are matched on whole words after normalisation (lower case, hyphens as
 * spaces); where two overlap the longer wins, so "washed out" beats nothing and "upside down" is
 * one phrase. Rules made only of axis signals can be negated ("less bright" = darker); the others
 * cannot, and a negated one ("no red") counts as not understood.
 */
export const RULES: Rule[] = [
  { phrases: ['red', 'reds', 'redder', 'reddish', 'crimson', 'scarlet'], signals: colours('red') },
  { phrases: ['orange', 'oranges', 'orangey', 'orangish'], signals: colours('orange') },
  { phrases: ['yellow', 'yellows', 'yellower', 'yellowish'], signals: colours('yellow') },
  { phrases: ['green', 'greens', 'greener', 'greenish'], signals: colours('green') },
  { phrases: ['blue', 'blues', 'bluer', 'bluish', 'blueish'], signals: colours('blue') },
  { phrases: ['purple', 'purples', 'purplish', 'violet', 'violets'], signals: colours('purple') },
  { phrases: ['pink', 'pinks', 'pinker', 'pinkish'], signals: colours('pink') },
  { phrases: ['brown', 'browns', 'brownish'], signals: colours('brown') },
  { phrases: ['teal', 'cyan', 'turquoise', 'aqua'], signals: colours('teal') },
  { phrases: ['gold', 'golden'], signals: colours('gold') },
  // Themes: a mood is a small palette.
  { phrases: ['autumn', 'autumnal', 'autumny'], signals: colours('orange', 'red', 'brown') },
  { phrases: ['ocean', 'oceanic', 'sea', 'seaside', 'marine', 'nautical', 'underwater'], signals: colours('blue', 'teal') },
  { phrases: ['forest', 'woodland', 'foliage', 'leafy'], signals: colours('green') },
  // Neutrals change tone, not hue: there is no hue to shift toward.
  { phrases: ['black', 'blacker'], signals: [down('brightness')] },
  { phrases: ['white', 'whiter'], signals: [up('brightness')] },
  { phrases: ['grey', 'gray', 'greyer', 'grayer', 'greyish', 'grayish'], signals: [down('saturation')] },
  { phrases: ['pastel', 'pastels', 'pale', 'paler'], signals: [up('brightness', 0.6), down('saturation')] },
  { phrases: ['neon', 'electric', 'fluorescent'], signals: [up('saturation', 1.5)] },

  {
    phrases: ['bright', 'brighter', 'brighten', 'brightened', 'brightness', 'lighter', 'lighten', 'sunnier'],
    signals: [up('brightness')],
  },
  { phrases: ['dark', 'darker', 'darken', 'darkened', 'dim', 'dimmer', 'dimmed', 'moody', 'moodier'], signals: [down('brightness')] },
  { phrases: ['contrast', 'contrasty', 'high contrast', 'higher contrast', 'punchy', 'punchier'], signals: [up('contrast')] },
  // Not "flat": in logo briefs that names a design style, not a tonal wish.
  { phrases: ['low contrast', 'lower contrast'], signals: [down('contrast')] },
  { phrases: ['warm', 'warmer', 'warmth', 'warmed'], signals: [up('temperature')] },
  { phrases: ['cool', 'cooler', 'cold', 'colder', 'icy', 'chilly', 'chillier'], signals: [down('temperature')] },
  {
    phrases: ['vibrant', 'vivid', 'saturated', 'saturate', 'saturation', 'colourful', 'colorful', 'pop', 'richer'],
    signals: [up('saturation')],
  },
  {
    phrases: ['muted', 'mute', 'desaturated', 'desaturate', 'washed out', 'dull', 'duller', 'subdued', 'faded', 'tone down', 'toned down'],
    signals: [down('saturation')],
  },
  {
    phrases: ['blur', 'blurry', 'blurred', 'blurrier', 'soft', 'softer', 'soften', 'softened', 'dreamy', 'hazy', 'fuzzy'],
    signals: [down('sharpness')],
  },
  { phrases: ['sharp', 'sharper', 'sharpen', 'sharpened', 'sharpness', 'crisp', 'crisper', 'crispness'], signals: [up('sharpness')] },

  {
    phrases: ['monochrome', 'monochromatic', 'grayscale', 'greyscale', 'gray scale', 'grey scale', 'noir'],
    signals: [{ kind: 'monochrome' }],
  },
  { phrases: ['sepia', 'sepia toned'], signals: [{ kind: 'sepia', strength: 1 }] },
  { phrases: ['vintage', 'retro', 'antique', 'old photo', 'aged'], signals: [{ kind: 'sepia', strength: 0.5 }] },
  { phrases: ['invert', 'inverted', 'inverse', 'negative', 'negate'], signals: [{ kind: 'invert' }] },
  {
    phrases: [
      'flip vertically', 'flip it vertically', 'flipped vertically', 'mirror vertically', 'mirror it vertically', 'vertical flip',
      'upside down', 'flip it upside down', 'flip upside down', 'flipped upside down', 'flip top to bottom', 'flip it top to bottom', 'vertical mirror', 'mirrored vertically',
    ],
    signals: [{ kind: 'mirror', axis: 'vertical' }],
  },
  {
    phrases: [
      'flip', 'flipped', 'mirror', 'mirrored', 'mirror image', 'flip horizontally', 'flip it horizontally', 'horizontal flip',
      'mirror horizontally', 'mirror it horizontally', 'mirrored horizontally', 'flip left to right', 'flip it left to right',
      'face the other way', 'facing the other way', 'face the other direction',
    ],
    signals: [{ kind: 'mirror', axis: 'horizontal' }],
  },
];

/** Words just before a phrase that turn it around: "less bright", "not as dark", "reduce contrast". */
export const NEGATORS = new Set(['less', 'not', 'no', 'without', 'lower', 'reduce', 'reduced', 'decrease', 'fewer', 'dont', 'never']);
export const STRONG = new Set([
  'very', 'much', 'lot', 'lots', 'really', 'strongly', 'heavily', 'extremely', 'super', 'way', 'far', 'significantly', 'dramatically',
]);
export const SLIGHT = new Set(['slightly', 'bit', 'little', 'touch', 'hint', 'subtle', 'subtly', 'somewhat', 'tad', 'gently', 'mildly']);
export const INTENSITY = { slight: 0.5, normal: 1, strong: 1.8 } as const;
/** How many words before a phrase can negate or intensify it. */
export const MODIFIER_REACH = 3;

/** Filler: a fragment made only of these ("please", "make it a bit") is not worth reporting. */
export const FILLER = new Set([
  ...NEGATORS, ...STRONG, ...SLIGHT,
  'a', 'an', 'the', 'it', 'its', 'this', 'that', 'make', 'more', 'some', 'as', 'so', 'too', 'to', 'of', 'with', 'and',
  'please', 'thanks', 'thank', 'you', 'can', 'could', 'would', 'just', 'overall', 'whole', 'image', 'picture', 'concept',
  'logo', 'design', 'look', 'looks', 'looking', 'feel', 'theme', 'themed', 'style', 'tone', 'tones', 'colour', 'colours',
  'color', 'colors', 'palette', 'i', 'want', 'like', 'give', 'use', 'even', 'add', 'put', 'around', 'on', 'in', 'by', 'degrees',
]);

/** Preserved aspects, recognised by keyword, and the operations each one forbids. */
export const PRESERVATIONS: { pattern: RegExp; forbids: OperationKind[] }[] = [
  {
    pattern: /\b(colou?rs?|colou?ring|palette|hues?|tints?)\b/,
    forbids: ['monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'invert', 'swap'],
  },
  { pattern: /\b(brightness|lighting|light|exposure|luminance|tones?|tonal)\b/, forbids: ['brightness', 'contrast', 'invert'] },
  { pattern: /\bcontrast\b/, forbids: ['contrast'] },
  {
    pattern: /\b(shapes?|layout|composition|orientation|outlines?|silhouette|structure|form|position|geometry|proportions)\b/,
    forbids: ['mirror', 'blur', 'scale', 'rotate'],
  },
  { pattern: /\b(background|backdrop)\b/, forbids: ['background', 'transparent'] },
  { pattern: /\b(details?|sharpness|texture|edges?|focus|clarity|crispness)\b/, forbids: ['blur', 'sharpen'] },
  { pattern: /\beverything\b/, forbids: [...APPLY_ORDER] },
];


/**
 * Structural edits. Each is read from a whole fragment by a pattern built from these word lists
 * (refinement-instructions.ts), because they take arguments: a colour, a width, an angle.
 */

/** Words that name a colour a structural edit can use, mapped to NAMED_COLOURS keys. */
export const COLOUR_WORDS: Record<string, string> = {
  red: 'red', crimson: 'red', scarlet: 'red',
  orange: 'orange',
  yellow: 'yellow',
  green: 'green', emerald: 'green',
  blue: 'blue', azure: 'blue', cobalt: 'blue',
  purple: 'purple', violet: 'purple', lilac: 'purple', lavender: 'purple',
  pink: 'pink', rose: 'pink',
  brown: 'brown', tan: 'brown',
  teal: 'teal', cyan: 'teal', turquoise: 'teal', aqua: 'teal',
  gold: 'gold', golden: 'gold',
  white: 'white', black: 'black', grey: 'grey', gray: 'grey', silver: 'silver',
  navy: 'navy', beige: 'beige', cream: 'cream', ivory: 'cream', maroon: 'maroon', burgundy: 'maroon',
  magenta: 'magenta', fuchsia: 'magenta', lime: 'lime',
};
/** Shade words before a colour: "dark blue" is the colour scaled toward black, "light blue" mixed with white. */
export const SHADES: Record<string, { toward: 'black' | 'white'; amount: number }> = {
  dark: { toward: 'black', amount: 0.45 },
  deep: { toward: 'black', amount: 0.35 },
  darker: { toward: 'black', amount: 0.35 },
  light: { toward: 'white', amount: 0.5 },
  pale: { toward: 'white', amount: 0.6 },
  pastel: { toward: 'white', amount: 0.55 },
  lighter: { toward: 'white', amount: 0.35 },
  soft: { toward: 'white', amount: 0.3 },
};

export const BACKGROUND_WORDS = ['background', 'backdrop', 'bg', 'backgroud', 'back ground'];
export const TRANSPARENT_PHRASES = [
  'transparent background', 'transparent bg', 'background transparent', 'bg transparent', 'remove the background',
  'remove background', 'remove the bg', 'no background', 'without background', 'without a background', 'without the background',
  'cut out', 'cutout', 'knock out the background', 'background removed', 'clear background', 'transparent',
];
export const BORDER_WORDS = ['border', 'borders', 'frame', 'framed', 'framing', 'rim', 'edging'];
/** Share of the shorter side for a frame asked for by feel. */
export const BORDER_WIDTHS = {
  thin: { words: ['thin', 'narrow', 'fine', 'hairline', 'slim', 'subtle', 'small', 'little'], fraction: 0.015 },
  medium: { words: [] as string[], fraction: 0.03 },
  thick: { words: ['thick', 'wide', 'bold', 'heavy', 'broad', 'big', 'fat', 'chunky'], fraction: 0.06 },
} as const;

export const SWAP_VERBS = ['change', 'turn', 'swap', 'replace', 'recolour', 'recolor', 'switch', 'make', 'convert', 'paint', 'colour', 'color'];

export const ROTATE_WORDS = ['rotate', 'rotated', 'rotation', 'rotating', 'tilt', 'tilted', 'tilting', 'spin', 'spun', 'angle', 'angled', 'slant', 'slanted', 'skew', 'turn', 'turned'];
export const ANTICLOCKWISE = ['anticlockwise', 'anti clockwise', 'counterclockwise', 'counter clockwise', 'ccw', 'left'];
/** Degrees for a rotation asked for without a number. */
export const ROTATE_DEFAULTS = { slight: 15, tilt: 15, plain: 90, quarter: 90, half: 180 } as const;

/** Growing and shrinking the subject, and how much each intensity moves it. */
export const BIGGER = [
  'bigger', 'larger', 'enlarge', 'enlarged', 'scale up', 'scaled up', 'zoom in', 'grow', 'increase the size', 'increase size',
  'more prominent', 'fill more of', 'less padding', 'less space', 'less whitespace', 'upscale the subject',
];
export const SMALLER = [
  'smaller', 'shrink', 'shrunk', 'scale down', 'scaled down', 'zoom out', 'reduce the size', 'reduce size', 'decrease the size',
  'less prominent', 'more padding', 'more space', 'more room', 'more whitespace', 'more margin', 'tinier',
];
export const SCALE_STEP = { slight: 1.1, normal: 1.25, strong: 1.5 } as const;

/** A phrase as a literal part of a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
