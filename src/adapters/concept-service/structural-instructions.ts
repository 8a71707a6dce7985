/**
 * The structural part of the prompt grammar: edits that carry arguments (a background colour, a
 * border's colour and width, a colour swap, an angle, a scale factor), read by pattern from one
 * fragment of the prompt. What a pattern consumes is taken out of the fragment, so the rest can
 * still be read for tone words ("a darker, navy background").
 */
import { NAMED_COLOURS, round, type NamedColour, type RefinementOperation, type Rgb } from './refinement-operations';
import {
  ANTICLOCKWISE,
  BACKGROUND_WORDS,
  BIGGER,
  BORDER_WIDTHS,
  BORDER_WORDS,
  COLOUR_WORDS,
  ROTATE_DEFAULTS,
  ROTATE_WORDS,
  SCALE_STEP,
  SHADES,
  SMALLER,
  SWAP_VERBS,
  TRANSPARENT_PHRASES,
  MODIFIER_REACH,
  NEGATORS,
  SLIGHT,
  STRONG,
  escapeRegExp,
} from './refinement-vocabulary';

const alternation = (phrases: readonly string[]) =>
  [...phrases].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
const SHADE = alternation(Object.keys(SHADES));
const COLOUR = alternation(Object.keys(COLOUR_WORDS));
/** A colour phrase, optionally shaded: "teal", "dark blue". */
const CP = `(?:(?:${SHADE}) )?(?:${COLOUR})`;
const BG = alternation(BACKGROUND_WORDS);

const TRANSPARENT = new RegExp(`\\b(?:${alternation(TRANSPARENT_PHRASES)})\\b`);
const BACKGROUND = [
  new RegExp(`\\b(?:${BG})(?: (?:colou?r|to|into|be|is|a|an|in|should|with|of|it|solid|plain))* (${CP})\\b`),
  new RegExp(`\\b(${CP})(?: (?:colou?red|solid|plain))? (?:${BG})\\b`),
];
const DARKER = /\b(?:darker|darken|dark|dimmer|deeper)\b/;
const TONE_WORDS = '(?:darker|darken|dark|dimmer|deeper|lighter|lighten|light|brighter|brighten|paler)';
const BACKGROUND_TONE = new RegExp(
  `\\b(?:${TONE_WORDS} (?:the )?(?:${BG})|(?:${BG})(?: (?:a bit|much|slightly|a little|more|be|is|should|to))* ${TONE_WORDS})\\b`,
);
const BORDER = new RegExp(`\\b(?:${alternation(BORDER_WORDS)})\\b`);
const COLOUR_PHRASE = new RegExp(`\\b${CP}\\b`);
const PIXELS = /\b(\d{1,4}) ?(?:px|pixels?|pixel wide)\b/;
const SWAP: { pattern: RegExp; reversed: boolean }[] = [
  {
    pattern: new RegExp(
      `\\b(?:${alternation(SWAP_VERBS)}) (?:all )?(?:the )?(?:colou?r )?(${CP})(?: (?!to |into |with |for )[a-z]+){0,3}? (?:to|into|with|for) (?:a |an )?(${CP})\\b`,
    ),
    reversed: false,
  },
  { pattern: new RegExp(`\\bmake (?:all )?(?:the )?(${CP})(?: (?!${CP}\\b)[a-z]+){0,2}? (${CP})\\b`), reversed: false },
  { pattern: new RegExp(`\\b(${CP}) (?:to|into) (${CP})\\b`), reversed: false },
  { pattern: new RegExp(`\\b(${CP}) instead of (${CP})\\b`), reversed: true },
];
const ROTATE_VERB = new RegExp(`\\b(?:${alternation(ROTATE_WORDS)})\\b`);
const DEGREES = /\b(\d{1,3}(?:\.\d+)?) ?(?:degrees?|degs?|deg)?\b/;
const COUNTER = new RegExp(`\\b(?:${alternation(ANTICLOCKWISE)})\\b`);
const CLOCKWISE = /\b(?:clockwise|cw|right)\b/;
const BIG = new RegExp(`\\b(?:${alternation(BIGGER)})\\b`);
const SMALL = new RegExp(`\\b(?:${alternation(SMALLER)})\\b`);
const DOUBLE = /\b(?:twice as (?:big|large)|double (?:the |its )?size|2x (?:bigger|larger))\b/;
const HALVE = /\b(?:half (?:the |its )?size|half as (?:big|large)|halve (?:the |its )?size)\b/;

function namedColour(phrase: string): NamedColour {
  const words = phrase.split(' ');
  const base = COLOUR_WORDS[words[words.length - 1]];
  const rgb = NAMED_COLOURS[base];
  const shade = words.length > 1 ? SHADES[words[0]] : undefined;
  if (shade === undefined) return { name: base, rgb };
  const end = shade.toward === 'black' ? 0 : 255;
  const mixed = rgb.map((c) => Math.round(c + (end - c) * shade.amount)) as unknown as Rgb;
  return { name: `${words[0]} ${base}`, rgb: mixed };
}

const words = (fragment: string) => fragment.split(' ');
const intensityOf = (fragment: string): keyof typeof SCALE_STEP =>
  words(fragment).some((w) => STRONG.has(w)) ? 'strong' : words(fragment).some((w) => SLIGHT.has(w)) ? 'slight' : 'normal';

/** Structural edits found in one fragment, and the fragment with their phrases taken out. */
export function structuralEditsIn(fragment: string): { operations: RefinementOperation[]; rest: string } {
  const operations: RefinementOperation[] = [];
  let rest = fragment;
  const take = (m: RegExpExecArray) => {
    rest = `${rest.slice(0, m.index)} ${rest.slice(m.index + m[0].length)}`.replace(/\s+/g, ' ').trim();
  };

  const transparent = TRANSPARENT.exec(rest);
  if (transparent) {
    operations.push({ kind: 'transparent' });
    take(transparent);
  }
  for (const pattern of BACKGROUND) {
    const m = pattern.exec(rest);
    if (m) {
      operations.push({ kind: 'background', colour: namedColour(m[1]) });
      take(m);
      break;
    }
  }
  const tone = BACKGROUND_TONE.exec(rest);
  if (tone && !operations.some((op) => op.kind === 'background')) {
    operations.push({ kind: 'background', tone: DARKER.test(tone[0]) ? 'darker' : 'lighter' });
    take(tone);
  }
  const border = BORDER.exec(rest);
  if (border) {
    take(border);
    const px = PIXELS.exec(rest);
    if (px) take(px);
    const feel = (['thin', 'thick'] as const).find((label) => words(rest).some((w) => (BORDER_WIDTHS[label].words as readonly string[]).includes(w)));
    const colour = COLOUR_PHRASE.exec(rest);
    if (colour) take(colour);
    const label = feel ?? 'medium';
    operations.push({
      kind: 'border',
      ...(colour ? { colour: namedColour(colour[0]) } : {}),
      width: px ? { px: Math.max(1, Number(px[1])) } : { fraction: BORDER_WIDTHS[label].fraction, label },
    });
  }
  for (const { pattern, reversed } of SWAP) {
    const m = pattern.exec(rest);
    if (m) {
      const [from, to] = reversed ? [m[2], m[1]] : [m[1], m[2]];
      operations.push({ kind: 'swap', from: namedColour(from), to: namedColour(to) });
      take(m);
      break;
    }
  }
  const rotation = rotationIn(rest);
  if (rotation) {
    if (rotation.degrees !== 0) operations.push({ kind: 'rotate', degrees: rotation.degrees });
    rest = rotation.rest;
  }
  const scale = scaleIn(rest);
  if (scale) {
    operations.push({ kind: 'scale', factor: scale.factor });
    rest = scale.rest;
  }
  return { operations, rest };
}

function rotationIn(fragment: string): { degrees: number; rest: string } | undefined {
  const verb = ROTATE_VERB.exec(fragment);
  if (!verb) return undefined;
  const number = DEGREES.exec(fragment);
  const sideways = /\b(?:sideways|on its side)\b/.test(fragment);
  const quarter = /\bquarter\b/.test(fragment);
  const half = /\b(?:half|halfway|around)\b/.test(fragment);
  const counter = COUNTER.test(fragment);
  // "Turn" alone is too common ("turn the teal purple", "turn it upside down") to mean a rotation by itself.
  if (/^turn/.test(verb[0]) && !number && !sideways && !quarter && !counter && !CLOCKWISE.test(fragment)) return undefined;
  const gentle = /^(?:tilt|slant|angle|skew)/.test(verb[0]);
  const intensity = intensityOf(fragment);
  let degrees: number =
    number ? Number(number[1])
    : quarter || sideways ? ROTATE_DEFAULTS.quarter
    : half ? ROTATE_DEFAULTS.half
    : intensity === 'slight' || gentle ? ROTATE_DEFAULTS.slight * (intensity === 'strong' ? 2 : 1)
    : intensity === 'strong' ? 45
    : ROTATE_DEFAULTS.plain;
  if (counter) degrees = -degrees;
  // One turn is the identity; keep the angle in (-180, 180].
  degrees = ((((degrees + 180) % 360) + 360) % 360) - 180;
  if (degrees === -180) degrees = 180;
  let rest = fragment;
  for (const pattern of [ROTATE_VERB, DEGREES, COUNTER, CLOCKWISE, /\b(?:sideways|on its side|quarter turn|quarter|half turn|half)\b/]) {
    rest = rest.replace(pattern, ' ');
  }
  return { degrees: round(degrees), rest: rest.replace(/\s+/g, ' ').trim() };
}

function scaleIn(fragment: string): { factor: number; rest: string } | undefined {
  for (const [pattern, factor] of [[DOUBLE, 2], [HALVE, 0.5]] as const) {
    if (pattern.test(fragment)) return { factor, rest: fragment.replace(pattern, ' ').trim() };
  }
  const big = BIG.exec(fragment);
  const small = SMALL.exec(fragment);
  const match = big ?? small;
  if (!match) return undefined;
  const step = SCALE_STEP[intensityOf(fragment)];
  const negated = words(fragment.slice(0, match.index)).slice(-MODIFIER_REACH).some((w) => NEGATORS.has(w));
  const grow = (big !== null) !== negated;
  return { factor: round(grow ? step : 1 / step), rest: fragment.replace(match[0], ' ').replace(/\s+/g, ' ').trim() };
}

/** One edit per kind, the last mention winning; colour swaps all stay, one per source colour. */
export function settleEdits(edits: RefinementOperation[]): RefinementOperation[] {
  const last = new Map<string, RefinementOperation>();
  for (const edit of edits) last.set(edit.kind === 'swap' ? `swap:${edit.from.name}` : edit.kind, edit);
  return [...last.values()];
}
