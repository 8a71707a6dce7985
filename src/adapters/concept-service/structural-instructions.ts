/**
 * The structural part of the prompt grammar: edits that carry arguments (a background colour, a
 * border's colour and width, a colour swap, an angle, a scale factor), read by pattern from one
 * fragment of the prompt. What a pattern consumes is taken out of the fragment, so the rest can
 * still be read for tone words ("a darker, navy background").
 */
import { COLOUR_PHRASE as ANY_COLOUR, colourFromPhrase } from './colour-names';
import { round, type NamedColour, type RefinementOperation } from './refinement-operations';
import {
  ANTICLOCKWISE,
  BACKGROUND_WORDS,
  BIGGER,
  BORDER_WIDTHS,
  BORDER_WORDS,
  PADDING_DEFAULTS,
  PADDING_PHRASES,
  ROTATE_DEFAULTS,
  ROTATE_WORDS,
  SCALE_STEP,
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
/** A colour phrase: "teal", "dark blue", "dark slate grey", "hex1e90ff". */
const CP = ANY_COLOUR;
const BG = alternation(BACKGROUND_WORDS);

const TRANSPARENT = new RegExp(`\\b(?:${alternation(TRANSPARENT_PHRASES)})\\b`);
/** "Remove the white background": a colour named on the way to the background word is the one removed. */
const REMOVE_BACKGROUND = new RegExp(
  `\\b(?:remove|delete|drop|lose|get rid of|erase|strip|without|no|knock out|cut out)(?: the| a| any| that)?(?: ${CP})? (?:${BG})\\b`,
);
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
const DOUBLE = /\b(?:twice (?:as (?:big|large)|the size)|double (?:the |its )?size|double it|2 ?x (?:bigger|larger|the size|as big)?|200 ?%)\b/;
const HALVE = /\b(?:half (?:the |its )?size|half as (?:big|large)|halve (?:the |its )?size|halve it|50 ?% (?:smaller|of the size))\b/;
const TIMES = /\b(\d(?:\.\d+)?) ?(?:x|times) (?:bigger|larger|as big|as large|the size)\b/;
const PERCENT_SIZE = /\b(\d{1,3}) ?(?:%|percent|per cent) (bigger|larger|smaller)\b/;
const PADDING = new RegExp(`\\b(?:${alternation(PADDING_PHRASES)})\\b`);
const AMOUNT = /\b(\d{1,3}(?:\.\d+)?) ?(%|percent|per cent|px|pixels?)/;

function namedColour(phrase: string): NamedColour {
  const colour = colourFromPhrase(phrase);
  // The patterns only capture what COLOUR_PHRASE matches, and colourFromPhrase reads all of it.
  if (!colour) throw new Error(`not a colour phrase: ${phrase}`);
  return colour;
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

  const transparent = REMOVE_BACKGROUND.exec(rest) ?? TRANSPARENT.exec(rest);
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
  const padding = paddingIn(rest);
  if (padding) {
    operations.push(padding.operation);
    rest = padding.rest;
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

function paddingIn(fragment: string): { operation: RefinementOperation; rest: string } | undefined {
  const m = PADDING.exec(fragment);
  if (!m) return undefined;
  const before = words(fragment.slice(0, m.index)).slice(-MODIFIER_REACH);
  // "Less padding" and "no margin" ask for the opposite: the scale grammar reads them.
  if (before.some((w) => NEGATORS.has(w))) return undefined;
  let rest = `${fragment.slice(0, m.index)} ${fragment.slice(m.index + m[0].length)}`;
  const amount = AMOUNT.exec(rest);
  let size: { fraction: number } | { px: number };
  if (amount) {
    rest = rest.replace(amount[0], ' ');
    const value = Number(amount[1]);
    size = /^(?:px|pixel)/.test(amount[2]) ? { px: Math.max(1, Math.round(value)) } : { fraction: round(Math.min(45, value) / 100) };
  } else {
    size = { fraction: PADDING_DEFAULTS[intensityOf(fragment)] };
  }
  return { operation: { kind: 'padding', size }, rest: rest.replace(/\b(?:around|round|the|subject|it)\b/g, ' ').replace(/\s+/g, ' ').trim() };
}

function scaleIn(fragment: string): { factor: number; rest: string } | undefined {
  for (const [pattern, factor] of [[DOUBLE, 2], [HALVE, 0.5]] as const) {
    if (pattern.test(fragment)) return { factor, rest: fragment.replace(pattern, ' ').trim() };
  }
  const times = TIMES.exec(fragment);
  if (times && Number(times[1]) > 0) return { factor: round(Number(times[1])), rest: fragment.replace(times[0], ' ').trim() };
  const percent = PERCENT_SIZE.exec(fragment);
  if (percent) {
    const change = Number(percent[1]) / 100;
    const factor = percent[2] === 'smaller' ? Math.max(0.05, 1 - change) : 1 + change;
    return { factor: round(factor), rest: fragment.replace(percent[0], ' ').trim() };
  }
  const big = BIG.exec(fragment);
  const small = SMALL.exec(fragment);
  const match = big ?? small;
  if (!match) return undefined;
  const step = SCALE_STEP[intensityOf(fragment)];
  const negated = words(fragment.slice(0, match.index)).slice(-MODIFIER_REACH).some((w) => NEGATORS.has(w));
  const grow = (big !== null) !== negated;
  // "Scale it up by 50%", "shrink it by 20 percent".
  const by = /\bby (\d{1,3}) ?percent\b/.exec(fragment);
  const change = by ? Number(by[1]) / 100 : undefined;
  const factor = change === undefined ? (grow ? step : 1 / step) : grow ? 1 + change : Math.max(0.05, 1 - change);
  const rest = fragment.replace(match[0], ' ').replace(by?.[0] ?? '\u0000', ' ');
  return { factor: round(factor), rest: rest.replace(/\s+/g, ' ').trim() };
}

/** One edit per kind, the last mention winning; colour swaps all stay, one per source colour. */
export function settleEdits(edits: RefinementOperation[]): RefinementOperation[] {
  const last = new Map<string, RefinementOperation>();
  for (const edit of edits) last.set(edit.kind === 'swap' ? `swap:${edit.from.name}` : edit.kind, edit);
  return [...last.values()];
}
