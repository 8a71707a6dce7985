/**
 * Turns a free-text refinement prompt into a short, ordered list of image operations that the local
 * refiner can apply. Deliberately a small keyword table, not language understanding: every fragment
 * it cannot map is handed back so the caller can say so instead of pretending.
 *
 * Deterministic: the same prompt and preserved aspects always give the same operations.
 */
import { CHROMATIC_COLOUR_PHRASE, COLOUR_PHRASE, colourFromPhrase } from './colour-names';
import { APPLY_ORDER, type NamedColour, type RefinementOperation, round } from './refinement-operations';
import {
  CONTENT_VERBS,
  FILLER,
  INTENSITY,
  KEPT_ASPECTS,
  MODIFIER_REACH,
  NEGATORS,
  PALETTE_CONTEXT,
  PART_WORDS,
  RULES,
  SLIGHT,
  STRONG,
  THEMES,
  TINT_STRENGTH,
  TINT_WORDS,
  type Axis,
  type KeptAspect,
  type Rule,
  type Signal,
  escapeRegExp,
} from './refinement-vocabulary';
import { settleEdits, structuralEditsIn } from './structural-instructions';

export interface WithheldOperation {
  operation: RefinementOperation;
  /** The preserved aspect, as the caller gave it, that ruled the operation out. */
  aspect: string;
}

/** A kept aspect as the request gave it, and what the local refiner makes of it (undefined: not understood). */
export interface ResolvedAspect {
  given: string;
  aspects: KeptAspect[];
}

export interface ParsedInstructions {
  /** In the order they must be applied (see APPLY_ORDER). */
  operations: RefinementOperation[];
  /** Prompt fragments (lower-cased, normalised) that produced no operation. */
  unrecognised: string[];
  /** Operations the prompt asked for but a preserved aspect forbids. */
  withheld: WithheldOperation[];
  /** Each kept aspect of the request, resolved against KEPT_ASPECTS (empty: not understood). */
  kept: ResolvedAspect[];
  /** Words in a recognised fragment naming a part of the logo ("fox" in "make the fox bigger"): edits apply to the whole. */
  parts: string[];
}

interface PaletteWish {
  colours: NamedColour[];
  themes: string[];
  intensity: number;
}

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
  const edits: RefinementOperation[] = [];
  const unrecognised: string[] = [];
  const parts = new Set<string>();
  const palette: PaletteWish = { colours: [], themes: [], intensity: 0 };
  for (const fragment of splitIntoFragments(normalise(prompt))) {
    const structural = structuralEditsIn(fragment);
    // "Add a red hat": a colour after a verb that asks for new content describes that content;
    // "make the fox orange" asks to recolour a part, which the local refiner cannot pick out.
    if (structural.operations.length === 0 && (asksForNewContent(fragment) || PART_RECOLOUR.test(fragment))) {
      unrecognised.push(fragment);
      continue;
    }
    edits.push(...structural.operations);
    // What a structural edit leaves ("make the fox" of "make the fox bigger") is its object, not a
    // separate wish, so only a tone or colour phrase in it still counts.
    const colours = paletteIn(structural.rest);
    const found = signalsIn(colours.rest);
    if (colours.wish) {
      palette.colours.push(...colours.wish.colours.filter((c) => !palette.colours.some((p) => p.name === c.name)));
      palette.themes.push(...colours.wish.themes.filter((t) => !palette.themes.includes(t)));
      palette.intensity = Math.max(palette.intensity, colours.wish.intensity);
    }
    signals.push(...found);
    if (found.length === 0 && !colours.wish && structural.operations.length === 0) {
      if (!isFiller(fragment)) unrecognised.push(fragment);
    } else {
      for (const word of colours.rest.split(' ')) if (PART_WORDS.has(word)) parts.add(word);
    }
  }

  const operations: RefinementOperation[] = [];
  const withheld: WithheldOperation[] = [];
  const kept = preserveAspects.map(resolveAspect);
  const wished = palette.colours.length > 0 || palette.themes.length > 0 ? [paletteOperation(palette)] : [];
  const settled = [...settle(signals), ...wished, ...settleEdits(edits)].sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
  for (const operation of settled) {
    const by = kept.find((k) => k.aspects.some((a) => a.forbids.includes(operation.kind)));
    if (by === undefined) operations.push(operation);
    else withheld.push({ operation, aspect: by.given });
  }
  return { operations, unrecognised, withheld, kept, parts: [...parts] };
}

const PART = [...PART_WORDS].map(escapeRegExp).join('|');
/** "Make the fox orange", "change the text colour to red": a colour for one part of the logo. */
const PART_RECOLOUR = new RegExp(
  `\\b(?:make|turn|change|colour|paint|recolour|set)(?: all)?(?: the| its)? (?:[a-z]+ )?(?:${PART})s?(?: colour| colours)?(?: (?:to|into|be|in|as))? (?:a |an )?(?:${COLOUR_PHRASE})\\b`,
);

const CONTENT_VERB = new RegExp(`^(?:please )?(?:${CONTENT_VERBS.map(escapeRegExp).join('|')})\\b`);

/** A fragment asking for something new, whose other words are not all ours ("add a hat", not "add more contrast"). */
function asksForNewContent(fragment: string): boolean {
  if (!CONTENT_VERB.test(fragment)) return false;
  const rest = paletteIn(fragment).rest;
  const leftover = COMPILED_RULES.reduce((text, { pattern }) => text.replace(pattern, ' '), rest);
  return !isFiller(leftover.replace(/\s+/g, ' ').trim());
}

const CHROMATIC = new RegExp(`\\b(${CHROMATIC_COLOUR_PHRASE})\\b`, 'g');
const ANY_COLOUR = new RegExp(`\\b(${COLOUR_PHRASE})\\b`, 'g');
const IN_PALETTE_CONTEXT = new RegExp(`\\b(?:${PALETTE_CONTEXT.map(escapeRegExp).join('|')})\\b`);
const TINT = new RegExp(`\\b(?:${TINT_WORDS.map(escapeRegExp).join('|')})\\b`);
const THEME_PATTERNS = THEMES.map((theme) => ({
  theme,
  pattern: new RegExp(`\\b(?:${theme.words.map(escapeRegExp).sort((a, b) => b.length - a.length).join('|')})\\b`),
}));

/** Colour and theme words in a fragment ("autumn themed with orange"), and the fragment without them. */
function paletteIn(fragment: string): { wish?: PaletteWish; rest: string } {
  const colours: NamedColour[] = [];
  const themes: string[] = [];
  let rest = fragment;
  let negated = false;
  const lead = (index: number) => rest.slice(0, index).split(' ').filter(Boolean).slice(-MODIFIER_REACH);
  // In "a blue and white colour scheme" white is a palette colour; elsewhere it is a tone word.
  const pattern = IN_PALETTE_CONTEXT.test(fragment) ? ANY_COLOUR : CHROMATIC;
  for (const m of [...fragment.matchAll(pattern)]) {
    const colour = colourFromPhrase(m[1]);
    if (!colour) continue;
    if (lead(rest.indexOf(m[0])).some((w) => NEGATORS.has(w))) negated = true;
    else colours.push(colour);
    rest = rest.replace(m[0], ' ');
  }
  for (const { theme, pattern } of THEME_PATTERNS) {
    const m = pattern.exec(rest);
    if (!m) continue;
    themes.push(theme.name);
    rest = rest.replace(m[0], ' ');
  }
  rest = rest.replace(/\s+/g, ' ').trim();
  // "No red" has no sensible reading: leave the fragment unrecognised.
  if (negated || (colours.length === 0 && themes.length === 0)) return { rest: negated ? fragment : rest };
  const words = fragment.split(' ');
  const intensity = TINT.test(fragment) ? TINT_STRENGTH : words.some((w) => SLIGHT.has(w)) ? INTENSITY.slight : 1;
  return { wish: { colours, themes, intensity }, rest };
}

function paletteOperation({ colours, themes, intensity }: PaletteWish): RefinementOperation {
  return { kind: 'palette', colours, ...(themes.length > 0 ? { theme: themes.join(' and ') } : {}), strength: intensity };
}

/** Which kept aspects a phrase names: each part ("shape and colours") by its first matching aspect. */
function resolveAspect(given: string): ResolvedAspect {
  const aspects: KeptAspect[] = [];
  for (const part of given.toLowerCase().split(/,|;|&|\band\b|\bplus\b/)) {
    const aspect = KEPT_ASPECTS.find((a) => a.pattern.test(part));
    if (aspect && !aspects.includes(aspect)) aspects.push(aspect);
  }
  return { given, aspects };
}

function normalise(prompt: string): string {
  return (
    prompt
      .toLowerCase()
      .replace(/[’‘`]/g, "'")
      // Hex colours, percentages and degree signs survive the punctuation that splitting removes.
      .replace(/#([0-9a-f]{6}|[0-9a-f]{3})\b/g, ' hex$1 ')
      .replace(/(\d)\s*%/g, '$1 percent')
      .replace(/°/g, ' degrees')
      .replace(/\bcolou?r(ed|s)?\b/g, (w) => w.replace('color', 'colour'))
      .replace(/\bgray/g, 'grey')
      // "Winter blues", "in reds and oranges": plural colour names as the colour.
      .replace(/\b(red|blue|green|orange|yellow|purple|pink|brown|teal|gold)s\b/g, '$1')
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

