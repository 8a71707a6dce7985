/**
 * Turns a free-text refinement prompt into a short, ordered list of image operations that the local
 * refiner can apply. Deliberately a small keyword table, not language understanding: every fragment
 * it cannot map is handed back so the caller can say so instead of pretending.
 *
 * Deterministic: the same prompt and preserved aspects always give the same operations.
 */
import {
  APPLY_ORDER,
  COLOURS,
  type ColourName,
  type OperationKind,
  type RefinementOperation,
  type Rgb,
  round,
} from './refinement-operations';
import {
  FILLER,
  INTENSITY,
  MODIFIER_REACH,
  NEGATORS,
  PRESERVATIONS,
  RULES,
  SLIGHT,
  STRONG,
  type Axis,
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

export interface ParsedInstructions {
  /** In the order they must be applied (see APPLY_ORDER). */
  operations: RefinementOperation[];
  /** Prompt fragments (lower-cased, normalised) that produced no operation. */
  unrecognised: string[];
  /** Operations the prompt asked for but a preserved aspect forbids. */
  withheld: WithheldOperation[];
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
  for (const fragment of splitIntoFragments(normalise(prompt))) {
    const structural = structuralEditsIn(fragment);
    edits.push(...structural.operations);
    // What a structural edit leaves ("make the fox" of "make the fox bigger") is its object, not a
    // separate wish, so only a tone or colour phrase in it still counts.
    const found = signalsIn(structural.rest);
    if (found.length > 0) signals.push(...found);
    else if (structural.operations.length === 0 && !isFiller(fragment)) unrecognised.push(fragment);
  }

  const operations: RefinementOperation[] = [];
  const withheld: WithheldOperation[] = [];
  const settled = [...settle(signals), ...settleEdits(edits)].sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
  for (const operation of settled) {
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

