/**
 * Turns a free-text refinement prompt into a short, ordered list of image operations that the local
 * refiner can apply. Deliberately a small keyword table, not language understanding: every fragment
 * it cannot map is handed back so the caller can say so instead of pretending.
 *
 * Deterministic: the same prompt and preserved aspects always give the same operations.
 */

export type Rgb = readonly [number, number, number];

/** Chromatic colours a palette shift can aim at. Black, white and grey are tone words, see below. */
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

export interface WithheldOperation {
  operation: RefinementOperation;
  /** The preserved aspect, as the caller gave it, that ruled the operation out. */
  aspect: string;
}

export interface ParsedInstructions {
  /** In the order they must be applied (see APPLY_ORDER). */
  operations: RefinementOperation[];
  /** Prompt fragments (lower-cased, normalised) that produced no operation. */
  unrecognised: string[];
  /** Operations the prompt asked for but a preserved aspect forbids. */
  withheld: WithheldOperation[];
}

type Axis = 'brightness' | 'saturation' | 'contrast' | 'temperature' | 'sharpness';

/** What one matched phrase asks for, before amounts are settled across the whole prompt. */
type Signal =
  | { kind: 'colour'; colour: ColourName }
  | { kind: 'axis'; axis: Axis; direction: 1 | -1; weight?: number }
  | { kind: 'monochrome' }
  | { kind: 'sepia'; strength: number }
  | { kind: 'invert' }
  | { kind: 'mirror'; axis: 'horizontal' | 'vertical' };

interface Rule {
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
const RULES: Rule[] = [
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
const NEGATORS = new Set(['less', 'not', 'no', 'without', 'lower', 'reduce', 'reduced', 'decrease', 'fewer', 'dont', 'never']);
const STRONG = new Set([
  'very', 'much', 'lot', 'lots', 'really', 'strongly', 'heavily', 'extremely', 'super', 'way', 'far', 'significantly', 'dramatically',
]);
const SLIGHT = new Set(['slightly', 'bit', 'little', 'touch', 'hint', 'subtle', 'subtly', 'somewhat', 'tad', 'gently', 'mildly']);
const INTENSITY = { slight: 0.5, normal: 1, strong: 1.8 } as const;
/** How many words before a phrase can negate or intensify it. */
const MODIFIER_REACH = 3;

/** Filler: a fragment made only of these ("please", "make it a bit") is not worth reporting. */
const FILLER = new Set([
  ...NEGATORS, ...STRONG, ...SLIGHT,
  'a', 'an', 'the', 'it', 'its', 'this', 'that', 'make', 'more', 'some', 'as', 'so', 'too', 'to', 'of', 'with', 'and',
  'please', 'thanks', 'thank', 'you', 'can', 'could', 'would', 'just', 'overall', 'whole', 'image', 'picture', 'concept',
  'logo', 'design', 'look', 'looks', 'looking', 'feel', 'theme', 'themed', 'style', 'tone', 'tones', 'colour', 'colours',
  'color', 'colors', 'palette', 'i', 'want', 'like', 'give', 'use', 'even',
]);

/** Fixed order, whatever order the prompt used: colour replacement first so a named palette tints a
 * monochrome/sepia result, tonal grading next, invert after grading, spatial filters last. */
const APPLY_ORDER: OperationKind[] = [
  'mirror', 'monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'blur', 'sharpen',
];

/** Preserved aspects, recognised by keyword, and the operations each one forbids. */
const PRESERVATIONS: { pattern: RegExp; forbids: OperationKind[] }[] = [
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

interface Match {
  start: number;
  end: number;
  rule: Rule;
}

interface WeightedSignal {
  signal: Signal;
  intensity: number;
}

export function parseRefinementInstructions(prompt: string, preserveAspects: readonly string[] = []): ParsedInstructions {
  const signals: WeightedSignal[] = [];
  const unrecognised: string[] = [];
  for (const fragment of splitIntoFragments(normalise(prompt))) {
    const found = signalsIn(fragment);
    if (found.length > 0) signals.push(...found);
    else if (!isFiller(fragment)) unrecognised.push(fragment);
  }

  const operations: RefinementOperation[] = [];
  const withheld: WithheldOperation[] = [];
  for (const operation of settle(signals)) {
    const aspect = preserveAspects.find((a) => forbiddenBy(a).has(operation.kind));
    if (aspect === undefined) operations.push(operation);
    else withheld.push({ operation, aspect });
  }
  return { operations, unrecognised, withheld };
}

function normalise(prompt: string): string {
  return (
    prompt
      .toLowerCase()
      .replace(/[’‘`]/g, "'")
      .replace(/'/g, '')
      .replace(/[-_]+/g, ' ')
      // Protect the one colour phrase that contains a fragment separator.
      .replace(/\bblack\s*(?:and|&|n)\s*white\b|\bb\s*[&/]\s*w\b/g, 'monochrome')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

function splitIntoFragments(text: string): string[] {
  return text
    .split(/[,;.!?:()\n]+|&|\b(?:and|but|then|plus|also|while|yet)\b/)
    .map((f) => f.replace(/[^a-z0-9/ ]+/g, ' ').replace(/\s+/g, ' ').trim())
    .filter((f) => f.length > 0);
}

function isFiller(fragment: string): boolean {
  return fragment.split(' ').every((word) => FILLER.has(word));
}

const COMPILED_RULES = RULES.map((rule) => ({
  rule,
  pattern: new RegExp(`\\b(?:${rule.phrases.map(escapeRegExp).sort((a, b) => b.length - a.length).join('|')})\\b`, 'g'),
}));

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function signalsIn(fragment: string): WeightedSignal[] {
  const candidates: Match[] = [];
  for (const { rule, pattern } of COMPILED_RULES) {
    for (const m of fragment.matchAll(pattern)) candidates.push({ start: m.index, end: m.index + m[0].length, rule });
  }
  // Leftmost first, longest first at the same spot; overlapping shorter matches are dropped.
  candidates.sort((a, b) => a.start - b.start || b.end - a.end);

  const result: WeightedSignal[] = [];
  let consumedTo = 0;
  for (const match of candidates) {
    if (match.start < consumedTo) continue;
    // Only words since the previous phrase can modify this one, so one "less" does not flip two phrases.
    const lead = fragment.slice(consumedTo, match.start).split(' ').filter(Boolean).slice(-MODIFIER_REACH);
    consumedTo = match.end;
    const negated = lead.some((w) => NEGATORS.has(w));
    const intensity = lead.some((w) => STRONG.has(w))
      ? INTENSITY.strong
      : lead.some((w) => SLIGHT.has(w))
        ? INTENSITY.slight
        : INTENSITY.normal;
    const signals = negated ? negate(match.rule.signals) : match.rule.signals;
    for (const signal of signals) result.push({ signal, intensity });
  }
  return result;
}

/** "Less X" reverses a direction; "no red" or "not inverted" has no sensible reverse, so it yields nothing. */
function negate(signals: Signal[]): Signal[] {
  if (!signals.every((s) => s.kind === 'axis')) return [];
  return signals.map((s) => (s.kind === 'axis' ? { ...s, direction: s.direction === 1 ? -1 : 1 } : s));
}

/** How much one unit of intent moves each axis. */
const AXIS_STEP: Record<Axis, number> = { brightness: 0.25, saturation: 0.4, contrast: 0.3, temperature: 0.12, sharpness: 1 };
const PALETTE_STRENGTH = 0.45;
const MAX_PALETTE_STRENGTH = 0.85;
const BLUR_SIGMA_PER_UNIT = 1.5;

/** Merges all signals into at most one operation per kind, in APPLY_ORDER. */
function settle(signals: WeightedSignal[]): RefinementOperation[] {
  const ops: RefinementOperation[] = [];
  const of = <K extends Signal['kind']>(kind: K) =>
    signals.filter((s): s is { signal: Extract<Signal, { kind: K }>; intensity: number } => s.signal.kind === kind);

  for (const axis of ['horizontal', 'vertical'] as const) {
    if (of('mirror').some((s) => s.signal.axis === axis)) ops.push({ kind: 'mirror', axis });
  }
  if (of('monochrome').length > 0) ops.push({ kind: 'monochrome' });
  const sepia = Math.max(0, ...of('sepia').map((s) => s.signal.strength * s.intensity));
  if (sepia > 0) ops.push({ kind: 'sepia', strength: round(Math.min(1, sepia)) });

  const colourSignals = of('colour');
  if (colourSignals.length > 0) {
    const names = [...new Set(colourSignals.map((s) => s.signal.colour))];
    const strength = Math.min(MAX_PALETTE_STRENGTH, PALETTE_STRENGTH * Math.max(...colourSignals.map((s) => s.intensity)));
    ops.push({ kind: 'palette', colours: names, target: meanColour(names), strength: round(strength) });
  }

  // Same-direction mentions do not stack ("brighter, lighter" is one wish); opposite ones cancel.
  const net = (axis: Axis) => {
    const on = of('axis').filter((s) => s.signal.axis === axis);
    const strongest = (direction: 1 | -1) =>
      Math.max(0, ...on.filter((s) => s.signal.direction === direction).map((s) => (s.signal.weight ?? 1) * s.intensity));
    return strongest(1) - strongest(-1);
  };
  const factor = (axis: Axis) => {
    const n = net(axis);
    // Symmetric in log space: "darker" undoes "brighter".
    return n >= 0 ? 1 + AXIS_STEP[axis] * n : 1 / (1 + AXIS_STEP[axis] * -n);
  };

  const temperature = net('temperature');
  if (temperature !== 0) ops.push({ kind: 'temperature', shift: round(AXIS_STEP.temperature * temperature) });
  for (const axis of ['saturation', 'brightness', 'contrast'] as const) {
    if (net(axis) !== 0) ops.push({ kind: axis, factor: round(factor(axis)) });
  }
  if (of('invert').length > 0) ops.push({ kind: 'invert' });
  const sharpness = net('sharpness');
  if (sharpness < 0) ops.push({ kind: 'blur', sigma: round(Math.max(0.5, BLUR_SIGMA_PER_UNIT * -sharpness)) });
  if (sharpness > 0) ops.push({ kind: 'sharpen', sigma: round(Math.max(0.5, sharpness)) });

  return ops.sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
}

function meanColour(names: ColourName[]): Rgb {
  const sum = names.reduce<[number, number, number]>(
    (acc, name) => [acc[0] + COLOURS[name][0], acc[1] + COLOURS[name][1], acc[2] + COLOURS[name][2]],
    [0, 0, 0],
  );
  return [Math.round(sum[0] / names.length), Math.round(sum[1] / names.length), Math.round(sum[2] / names.length)];
}

function forbiddenBy(aspect: string): Set<OperationKind> {
  const text = aspect.toLowerCase();
  return new Set(PRESERVATIONS.filter((p) => p.pattern.test(text)).flatMap((p) => p.forbids));
}

/** Two decimals: keeps the operations (and the notes built from them) free of float noise. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

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
