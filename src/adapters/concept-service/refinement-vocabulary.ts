/**
 * The words the local refiner understands: the phrases that ask for an operation (colour names and
 * moods among them), the words that negate or intensify them, and the preserved aspects that rule
 * operations out. Tables only; refinement-instructions.ts reads a prompt with them.
 */
import { APPLY_ORDER, COLOUR_KINDS, type OperationKind } from './refinement-operations';

export type Axis = 'brightness' | 'saturation' | 'contrast' | 'temperature' | 'sharpness';

/** What one matched phrase asks for, before amounts are settled across the whole prompt. */
export type Signal =
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

/**
 * The vocabulary. Phrases are matched on whole words after normalisation (lower case, hyphens as
 * spaces); where two overlap the longer wins, so "washed out" beats nothing and "upside down" is
 * one phrase. Rules made only of axis signals can be negated ("less bright" = darker); the others
 * cannot, and a negated one ("no red") counts as not understood.
 */
export const RULES: Rule[] = [
  // Neutrals change tone, not hue: there is no hue to map a palette onto.
  { phrases: ['black', 'blacker'], signals: [down('brightness')] },
  { phrases: ['white', 'whiter'], signals: [up('brightness')] },
  { phrases: ['grey', 'gray', 'all grey', 'all gray'], signals: [{ kind: 'monochrome' }] },
  { phrases: ['greyer', 'grayer', 'greyish', 'grayish'], signals: [down('saturation')] },
  { phrases: ['pale', 'paler'], signals: [up('brightness', 0.6), down('saturation')] },

  {
    phrases: ['bright', 'brighter', 'brighten', 'brightened', 'brightness', 'lighter', 'lighten', 'sunnier'],
    signals: [up('brightness')],
  },
  { phrases: ['dark', 'darker', 'darken', 'darkened', 'dim', 'dimmer', 'dimmed', 'moody', 'moodier'], signals: [down('brightness')] },
  { phrases: ['contrast', 'contrasty', 'high contrast', 'higher contrast', 'punchy', 'punchier'], signals: [up('contrast')] },
  // Not "flat": in logo briefs that names a design style, not a tonal wish.
  { phrases: ['low contrast', 'lower contrast', 'tone down the contrast', 'turn down the contrast', 'soften the contrast'], signals: [down('contrast')] },
  { phrases: ['tone down the brightness', 'turn down the brightness', 'dial down the brightness'], signals: [down('brightness')] },
  { phrases: ['tone down the saturation', 'turn down the saturation', 'tone down the colours', 'tone it down'], signals: [down('saturation')] },
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
    phrases: [
      'monochrome', 'monochromatic', 'grayscale', 'greyscale', 'gray scale', 'grey scale', 'noir', 'remove all colour',
      'remove the colour', 'remove colour', 'remove the colours', 'remove all the colour', 'no colour', 'without colour',
      'colourless', 'fully desaturated', 'desaturate completely', 'completely desaturated', 'black white', 'shades of grey',
    ],
    signals: [{ kind: 'monochrome' }],
  },
  { phrases: ['sepia', 'sepia toned'], signals: [{ kind: 'sepia', strength: 1 }] },
  { phrases: ['vintage', 'retro', 'antique', 'old photo', 'aged'], signals: [{ kind: 'sepia', strength: 0.5 }] },
  { phrases: ['invert', 'inverted', 'inverse', 'negative', 'negate'], signals: [{ kind: 'invert' }] },
  {
    phrases: [
      'flip vertically', 'flip it vertically', 'flipped vertically', 'mirror vertically', 'mirror it vertically', 'vertical flip',
      'upside down', 'flip it upside down', 'flip upside down', 'flip top bottom', 'flip it over', 'flip vertical', 'vertical flip', 'turn it upside down', 'turn upside down', 'flipped upside down', 'flip top to bottom', 'flip it top to bottom', 'vertical mirror', 'mirrored vertically',
    ],
    signals: [{ kind: 'mirror', axis: 'vertical' }],
  },
  {
    phrases: [
      'flip', 'flipped', 'mirror', 'mirrored', 'mirror image', 'flip horizontally', 'flip it horizontally', 'horizontal flip',
      'mirror horizontally', 'mirror it horizontally', 'mirrored horizontally', 'flip left to right', 'flip it left to right',
      'face the other way', 'facing the other way', 'face the other direction', 'flip it', 'mirror it', 'flip left right',
      'flip right to left', 'mirror left to right', 'flip sideways', 'flip it sideways', 'reverse it', 'reversed',
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
  'vibe', 'vibes', 'feeling', 'mood', 'aesthetic', 'treatment', 'filter', 'effect', 'version', 'variant', 'scheme', 'apply',
  'tint', 'tinted', 'tinge', 'hint', 'wash', 'cast', 'match', 'an', 'for', 'me', 'slight', 'shades', 'shade', 'all',
]);

/**
 * Aspects a request can ask to keep, recognised by keyword in free text ("the fox silhouette",
 * "the font"). `forbids` are the operations withheld while it is kept; `protects` names a region
 * whose pixels are restored after the colour edits (see structural-edits.ts). The first aspect
 * whose pattern matches a phrase wins, so "background colour" is the background, "text colour" the text.
 */
export interface KeptAspect {
  aspect: string;
  description: string;
  pattern: RegExp;
  forbids: OperationKind[];
  protects?: 'background' | 'text';
}
export const KEPT_ASPECTS: KeptAspect[] = [
  {
    aspect: 'background',
    description: 'background pixels stay exactly as they are; background edits are refused',
    pattern: /\b(background|backdrop|bg)\b/,
    forbids: ['background', 'transparent'],
    protects: 'background',
  },
  {
    aspect: 'text',
    description: 'lettering found under or above the subject keeps its pixels through colour edits',
    pattern: /\b(text|texts|font|fonts|typeface|typography|lettering|letters?|words?|wordmark|name|title|caption|tagline|slogan|brand name)\b/,
    forbids: [],
    protects: 'text',
  },
  {
    aspect: 'colours',
    description: 'colour and tone edits are refused',
    pattern: /\b(colou?rs?|colou?ring|palette|hues?|tints?|scheme)\b/,
    forbids: [...COLOUR_KINDS, 'background'],
  },
  {
    aspect: 'shape',
    description: 'mirroring, rotating, scaling, padding and blurring are refused',
    pattern: /\b(shapes?|silhouette|outlines?|form|geometry|proportions|structure|subject|icon|symbol|emblem|mascot|character|mark)\b/,
    forbids: ['mirror', 'blur', 'scale', 'rotate', 'padding'],
  },
  {
    aspect: 'layout',
    description: 'mirroring, rotating, scaling and padding are refused',
    pattern: /\b(layout|composition|orientation|position|placement|arrangement|size|alignment)\b/,
    forbids: ['mirror', 'scale', 'rotate', 'padding'],
  },
  {
    aspect: 'brightness',
    description: 'brightness, contrast and inversion are refused',
    pattern: /\b(brightness|lighting|light|exposure|luminance|tones?|tonal)\b/,
    forbids: ['brightness', 'contrast', 'invert'],
  },
  { aspect: 'contrast', description: 'contrast changes are refused', pattern: /\bcontrast\b/, forbids: ['contrast'] },
  {
    aspect: 'details',
    description: 'blurring and sharpening are refused',
    pattern: /\b(details?|sharpness|texture|edges?|focus|clarity|crispness)\b/,
    forbids: ['blur', 'sharpen'],
  },
  { aspect: 'everything', description: 'every edit is refused', pattern: /\b(everything|all of it|whole thing)\b/, forbids: [...APPLY_ORDER] },
];

/**
 * Named themes: a palette of colours, darkest to lightest, that each foreground colour of a logo
 * is mapped onto (palette-mapping.ts); or, for pastel and neon, a treatment that keeps each
 * colour's hue and sets its saturation and lightness. `words` are the phrases that name it.
 */
export interface Theme {
  name: string;
  words: string[];
  colours?: string[];
  keepHue?: { saturation: number; lightness: [number, number] };
}
export const THEMES: Theme[] = [
  { name: 'autumn', words: ['autumn', 'autumnal', 'autumny', 'fall colours', 'fall colors', 'harvest'], colours: ['#5c2a0e', '#8b4513', '#b22222', '#d2691e', '#ff8c00', '#daa520'] },
  { name: 'winter', words: ['winter', 'wintry', 'wintery', 'snowy', 'frosty', 'icy blue'], colours: ['#1b3b6f', '#2e5e8c', '#4682b4', '#8fb8de', '#c6dcef'] },
  { name: 'spring', words: ['spring', 'springtime', 'springy', 'blossom'], colours: ['#2e8b57', '#3cb371', '#db7093', '#ffb6c1', '#98fb98'] },
  { name: 'summer', words: ['summer', 'summery', 'tropical', 'beach', 'beachy', 'sunny'], colours: ['#0077b6', '#00a6a6', '#ff6f3c', '#ff9f1c', '#ffd166'] },
  { name: 'ocean', words: ['ocean', 'oceanic', 'sea', 'seaside', 'marine', 'nautical', 'underwater', 'aquatic'], colours: ['#03045e', '#023e8a', '#0077b6', '#00b4d8', '#90e0ef'] },
  { name: 'forest', words: ['forest', 'woodland', 'woodsy', 'foliage', 'leafy', 'jungle'], colours: ['#1b4332', '#2d6a4f', '#6b4226', '#40916c', '#74c69d'] },
  { name: 'sunset', words: ['sunset', 'sunrise', 'dusk', 'golden hour'], colours: ['#3d1e6d', '#8e3b8a', '#d7385e', '#f47c48', '#ffc15e'] },
  { name: 'earthy', words: ['earthy', 'earth tones', 'earth tone', 'earthtones', 'rustic', 'natural tones'], colours: ['#4a3728', '#6f4e37', '#8b6f47', '#a68a64', '#c2b280'] },
  { name: 'christmas', words: ['christmas', 'xmas', 'festive', 'holiday'], colours: ['#0b4d2c', '#b3000c', '#1e7b3c', '#d4af37'] },
  { name: 'halloween', words: ['halloween', 'spooky'], colours: ['#1a1a1a', '#4b0082', '#7a3e9d', '#ff7518'] },
  { name: 'neon', words: ['neon', 'electric', 'fluorescent', 'cyberpunk', 'glowing'], keepHue: { saturation: 1, lightness: [0.5, 0.6] } },
  { name: 'pastel', words: ['pastel', 'pastels', 'pastel colours', 'pastel colors', 'soft colours', 'soft colors'], keepHue: { saturation: 0.55, lightness: [0.72, 0.86] } },
];

/**
 * Structural edits. Each is read from a whole fragment by a pattern built from these word lists
 * (structural-instructions.ts), because they take arguments: a colour, a width, an angle.
 */
export const BACKGROUND_WORDS = ['background', 'backdrop', 'bg', 'backgroud', 'back ground'];
export const TRANSPARENT_PHRASES = [
  'transparent background', 'transparent bg', 'background transparent', 'bg transparent', 'remove the background',
  'remove background', 'remove the bg', 'no background', 'without background', 'without a background', 'without the background',
  'cut out', 'cutout', 'knock out the background', 'background removed', 'clear background', 'transparent', 'see through',
  'delete the background', 'get rid of the background', 'lose the background', 'drop the background', 'isolate the subject',
];
export const BORDER_WORDS = ['border', 'borders', 'frame', 'framed', 'framing', 'rim', 'edging', 'outline around', 'stroke around'];
/** Share of the shorter side for a frame asked for by feel. */
export const BORDER_WIDTHS = {
  thin: { words: ['thin', 'narrow', 'fine', 'hairline', 'slim', 'subtle', 'small', 'little', 'light'], fraction: 0.015 },
  medium: { words: [] as string[], fraction: 0.03 },
  thick: { words: ['thick', 'wide', 'bold', 'heavy', 'broad', 'big', 'fat', 'chunky'], fraction: 0.06 },
} as const;

export const SWAP_VERBS = ['change', 'turn', 'swap', 'replace', 'recolour', 'recolor', 'switch', 'make', 'convert', 'paint', 'colour', 'color'];

export const ROTATE_WORDS = ['rotate', 'rotated', 'rotation', 'rotating', 'tilt', 'tilted', 'tilting', 'spin', 'spun', 'angle', 'angled', 'slant', 'slanted', 'skew', 'turn', 'turned', 'cant'];
export const ANTICLOCKWISE = ['anticlockwise', 'anti clockwise', 'counterclockwise', 'counter clockwise', 'ccw', 'left'];
/** Degrees for a rotation asked for without a number. */
export const ROTATE_DEFAULTS = { slight: 15, tilt: 15, plain: 90, quarter: 90, half: 180 } as const;

/** Growing and shrinking the subject, and how much each intensity moves it. */
export const BIGGER = [
  'bigger', 'larger', 'enlarge', 'enlarged', 'scale up', 'scaled up', 'scale it up', 'size up', 'size it up', 'blow it up', 'upsize', 'zoom in', 'grow', 'increase the size', 'increase size',
  'more prominent', 'fill more of', 'less padding', 'less space', 'less whitespace', 'less white space', 'less margin',
  'upscale the subject', 'fill the frame', 'fill the canvas', 'bigger in the frame',
];
export const SMALLER = [
  'smaller', 'shrink', 'shrunk', 'scale down', 'scaled down', 'scale it down', 'size it down', 'size down', 'zoom out', 'reduce the size', 'reduce size', 'decrease the size',
  'less prominent', 'tinier', 'downsize',
];
export const SCALE_STEP = { slight: 1.1, normal: 1.25, strong: 1.5 } as const;

/**
 * Padding: room round the subject. The canvas is extended on every side with the background and
 * scaled back to its size. A number ("10% margin", "20px padding") sets the amount.
 */
export const PADDING_PHRASES = [
  'padding', 'pad', 'padded', 'margin', 'margins', 'more space around', 'more room around', 'space around', 'room around',
  'more whitespace', 'more white space', 'more breathing room', 'breathing room', 'more space', 'more room', 'some space',
  'some room', 'whitespace around', 'white space around', 'inset',
];
export const PADDING_DEFAULTS = { slight: 0.05, normal: 0.1, strong: 0.2 } as const;

/** Words that make colour names in a fragment a palette even when neutral: "a blue and white colour scheme". */
export const PALETTE_CONTEXT = ['palette', 'scheme', 'colour scheme', 'colours', 'tones', 'shades', 'theme', 'themed'];
/** Words that ask for a light tint rather than a full palette: "a blue tint". */
export const TINT_WORDS = ['tint', 'tinted', 'tinge', 'tinged', 'hint of', 'wash', 'cast', 'touch of'];
/** How far each colour moves toward the palette for a tint. */
export const TINT_STRENGTH = 0.35;

/** Nouns for parts of a logo: the local refiner cannot pick a part out, so it says so when one is named. */
export const PART_WORDS = new Set([
  'fox', 'animal', 'icon', 'symbol', 'mark', 'emblem', 'mascot', 'circle', 'shape', 'shapes', 'text', 'word', 'words', 'letters',
  'lettering', 'font', 'name', 'title', 'dot', 'bar', 'ring', 'head', 'ears', 'eyes', 'tail', 'badge', 'star', 'heart', 'tree', 'bird',
  'square', 'triangle', 'outline', 'tagline', 'slogan', 'wordmark',
]);

/** Verbs that ask for new content: "add a hat", "draw a sun". Colour words after them describe the new thing, not the logo. */
export const CONTENT_VERBS = ['add', 'draw', 'insert', 'include', 'place', 'write', 'put', 'paint in', 'give it', 'give the'];

/** A phrase as a literal part of a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * What the local refiner can do, one row per kind of instruction: the parser's operations map to
 * a row through `operations`, capabilities() publishes the rows, the not-understood error lists
 * them, and a test parses every example to check it gives that row's operations.
 */
export interface InstructionKind {
  kind: string;
  description: string;
  examples: string[];
  operations: OperationKind[];
}
export const INSTRUCTION_KINDS: InstructionKind[] = [
  {
    kind: 'background',
    description: 'Repaints the background (the colour round the edge of the image); the shapes keep their colours. CSS colour names and hex codes work.',
    examples: ['make the background dark blue', 'use a #1e293b backdrop', 'make the background darker'],
    operations: ['background'],
  },
  {
    kind: 'transparent background',
    description: 'Makes the background transparent (a PNG with alpha), edges kept soft.',
    examples: ['remove the background', 'make the background transparent'],
    operations: ['transparent'],
  },
  {
    kind: 'border',
    description: 'Paints a frame over the outermost pixels: thin, medium, thick or in pixels, in a named colour or one that shows against the background.',
    examples: ['add a thin white border', 'add a 10px red frame', 'thick black border'],
    operations: ['border'],
  },
  {
    kind: 'padding',
    description: 'Adds room round the subject: the canvas grows by the margin on every side, filled with the background, and is scaled back to its size.',
    examples: ['add padding', 'more space around it', 'add 10% margin'],
    operations: ['padding'],
  },
  {
    kind: 'scale',
    description: 'Makes the subject (everything that is not background) bigger or smaller about its centre, on the same canvas; never larger than fits.',
    examples: ['make the fox bigger', 'make it a bit smaller', 'twice as big'],
    operations: ['scale'],
  },
  {
    kind: 'rotate',
    description: 'Rotates about the centre on the same canvas: by the degrees given, 15° for "slightly", 90° otherwise; left or anticlockwise turns the other way.',
    examples: ['rotate it slightly', 'rotate 45 degrees anticlockwise', 'tilt it to the left'],
    operations: ['rotate'],
  },
  {
    kind: 'flip',
    description: 'Mirrors left to right, or top to bottom.',
    examples: ['flip it horizontally', 'mirror it', 'turn it upside down'],
    operations: ['mirror'],
  },
  {
    kind: 'palette',
    description: `Maps each foreground colour onto a palette or theme (${THEMES.map((t) => t.name).join(', ')}), keeping the shapes and the light/dark order; the background stays.`,
    examples: ['make it autumn-themed with orange and red', 'use a purple palette', 'ocean colours', 'make it pastel'],
    operations: ['palette'],
  },
  {
    kind: 'colour swap',
    description: 'Changes one colour of the logo to another; the other colours stay.',
    examples: ['change the teal to purple', 'make the red dot green', 'use gold instead of teal'],
    operations: ['swap'],
  },
  {
    kind: 'black and white',
    description: 'Greyscale or sepia.',
    examples: ['make it black and white', 'monochrome', 'grayscale', 'sepia'],
    operations: ['monochrome', 'sepia'],
  },
  {
    kind: 'tone',
    description: 'Brightness, contrast, saturation, warmer or cooler, inverted.',
    examples: ['more contrast', 'a bit brighter', 'warmer', 'less saturated', 'invert the colours'],
    operations: ['brightness', 'contrast', 'saturation', 'temperature', 'invert'],
  },
  {
    kind: 'sharpness',
    description: 'Softens with a blur or sharpens.',
    examples: ['make it softer', 'sharpen it'],
    operations: ['blur', 'sharpen'],
  },
];
