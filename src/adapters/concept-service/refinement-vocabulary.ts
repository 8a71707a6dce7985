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
    phrases: ['flip vertically', 'flip it vertically', 'flipped vertically', 'mirror vertically', 'vertical flip', 'upside down'],
    signals: [{ kind: 'mirror', axis: 'vertical' }],
  },
  {
    phrases: ['flip', 'flipped', 'mirror', 'mirrored', 'mirror image', 'flip horizontally', 'horizontal flip'],
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
  'color', 'colors', 'palette', 'i', 'want', 'like', 'give', 'use', 'even',
]);

/** Preserved aspects, recognised by keyword, and the operations each one forbids. */
export const PRESERVATIONS: { pattern: RegExp; forbids: OperationKind[] }[] = [
  {
    pattern: /\b(colou?rs?|colou?ring|palette|hues?|tints?)\b/,
    forbids: ['monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'invert'],
  },
  { pattern: /\b(brightness|lighting|light|exposure|luminance|tones?|tonal)\b/, forbids: ['brightness', 'contrast', 'invert'] },
  { pattern: /\bcontrast\b/, forbids: ['contrast'] },
  {
    pattern: /\b(shapes?|layout|composition|orientation|outlines?|silhouette|structure|form|position|geometry|proportions)\b/,
    forbids: ['mirror', 'blur'],
  },
  { pattern: /\b(details?|sharpness|texture|edges?|focus|clarity|crispness)\b/, forbids: ['blur', 'sharpen'] },
  { pattern: /\beverything\b/, forbids: [...APPLY_ORDER] },
];

