/**
 * Colour names a prompt can use: the CSS named colours (CSS Color Module Level 4, the names every
 * designer tool knows), a few common names CSS lacks, shade words ("dark blue", "pale pink") and
 * hex codes ("#1e90ff"). Data plus the lookup; the prompt grammar builds its patterns from it.
 */
export type Rgb = readonly [number, number, number];

/** A colour as the prompt named it ("dark blue", "#1e90ff") and its exact value. */
export interface NamedColour {
  name: string;
  rgb: Rgb;
}

/** name:hex pairs from the CSS specification's table of named colours. */
const CSS_TABLE =
  'aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc bisque:ffe4c4 ' +
  'black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887 ' +
  'cadetblue:5f9ea0 chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc ' +
  'crimson:dc143c cyan:00ffff darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 ' +
  'darkgreen:006400 darkgrey:a9a9a9 darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 ' +
  'darkorchid:9932cc darkred:8b0000 darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b ' +
  'darkslategray:2f4f4f darkslategrey:2f4f4f darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493 ' +
  'deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff firebrick:b22222 floralwhite:fffaf0 ' +
  'forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 ' +
  'green:008000 greenyellow:adff2f grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 ' +
  'ivory:fffff0 khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd ' +
  'lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff lightgoldenrodyellow:fafad2 lightgray:d3d3d3 ' +
  'lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1 lightsalmon:ffa07a lightseagreen:20b2aa ' +
  'lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 lightsteelblue:b0c4de lightyellow:ffffe0 ' +
  'lime:00ff00 limegreen:32cd32 linen:faf0e6 magenta:ff00ff maroon:800000 mediumaquamarine:66cdaa ' +
  'mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371 mediumslateblue:7b68ee ' +
  'mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585 midnightblue:191970 mintcream:f5fffa ' +
  'mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 oldlace:fdf5e6 olive:808000 olivedrab:6b8e23 ' +
  'orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa palegreen:98fb98 paleturquoise:afeeee ' +
  'palevioletred:db7093 papayawhip:ffefd5 peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd powderblue:b0e0e6 ' +
  'purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f royalblue:4169e1 saddlebrown:8b4513 ' +
  'salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee sienna:a0522d silver:c0c0c0 skyblue:87ceeb ' +
  'slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa springgreen:00ff7f steelblue:4682b4 tan:d2b48c ' +
  'teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 violet:ee82ee wheat:f5deb3 white:ffffff ' +
  'whitesmoke:f5f5f5 yellow:ffff00 yellowgreen:9acd32 ';

/** Common colour names CSS does not have. */
const EXTRA_TABLE =
  'cream:fffdd0 burgundy:800020 emerald:50c878 cobalt:0047ab lilac:c8a2c8 rose:ff007f mint:98ff98 charcoal:36454f ' +
  'mustard:ffdb58 rust:b7410e terracotta:e2725b peach:ffcba4 ochre:cc7722 amber:ffbf00 scarlet:ff2400 mauve:e0b0ff ' +
  'sage:9caf88 sand:c2b280 copper:b87333 bronze:cd7f32 ruby:e0115f sapphire:0f52ba jade:00a86b navyblue:000080 ' +
  'offwhite:faf9f6 skyblue:87ceeb babyblue:89cff0 royalblue:4169e1 forestgreen:228b22 olivegreen:556b2f ';

function parseTable(table: string): Map<string, Rgb> {
  const colours = new Map<string, Rgb>();
  for (const entry of table.trim().split(/\s+/)) {
    const [name, hex] = entry.split(':');
    colours.set(name, hexToRgb(hex));
  }
  return colours;
}

export function hexToRgb(hex: string): Rgb {
  const bare = hex.replace(/^#/, '');
  const full = bare.length === 3 ? [...bare].map((c) => c + c).join('') : bare;
  return [parseInt(full.slice(0, 2), 16), parseInt(full.slice(2, 4), 16), parseInt(full.slice(4, 6), 16)];
}

export function rgbToHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** Every colour name, spaces removed: "darkslategrey", "cream". */
export const COLOUR_TABLE: ReadonlyMap<string, Rgb> = new Map([...parseTable(CSS_TABLE), ...parseTable(EXTRA_TABLE)]);

/**
 * The words CSS names are glued from, so that "dark slate grey", "dark slategrey" and
 * "darkslategrey" all name the same colour.
 */
const NAME_WORDS = [
  'alice', 'antique', 'aqua', 'marine', 'azure', 'beige', 'bisque', 'black', 'blanched', 'almond', 'blue', 'violet', 'brown',
  'burly', 'wood', 'cadet', 'chartreuse', 'chocolate', 'coral', 'cornflower', 'corn', 'silk', 'crimson', 'cyan', 'dark',
  'golden', 'rod', 'gray', 'grey', 'green', 'khaki', 'magenta', 'olive', 'orange', 'orchid', 'red', 'salmon', 'sea', 'slate',
  'turquoise', 'deep', 'pink', 'sky', 'dim', 'dodger', 'fire', 'brick', 'floral', 'white', 'forest', 'fuchsia', 'gainsboro',
  'ghost', 'gold', 'honeydew', 'hot', 'indian', 'indigo', 'ivory', 'lavender', 'blush', 'lawn', 'lemon', 'chiffon', 'light',
  'yellow', 'lime', 'linen', 'maroon', 'medium', 'spring', 'midnight', 'mint', 'cream', 'misty', 'rose', 'moccasin', 'navajo',
  'navy', 'old', 'lace', 'drab', 'pale', 'papaya', 'whip', 'peach', 'puff', 'peru', 'plum', 'powder', 'purple', 'rebecca',
  'rosy', 'royal', 'saddle', 'sandy', 'shell', 'sienna', 'silver', 'snow', 'steel', 'tan', 'teal', 'thistle', 'tomato',
  'wheat', 'smoke', 'green', 'baby', 'off', 'burgundy', 'emerald', 'cobalt', 'lilac', 'charcoal', 'mustard', 'rust',
  'terracotta', 'ochre', 'amber', 'scarlet', 'mauve', 'sage', 'sand', 'copper', 'bronze', 'ruby', 'sapphire', 'jade',
];

/** "darkslategrey" as ["dark", "slate", "grey"], or undefined when it is not made of NAME_WORDS. */
function splitName(name: string): string[] | undefined {
  if (name.length === 0) return [];
  for (const word of [...NAME_WORDS].sort((a, b) => b.length - a.length)) {
    if (!name.startsWith(word)) continue;
    const rest = splitName(name.slice(word.length));
    if (rest) return [word, ...rest];
  }
  return undefined;
}

/**
 * Words that name colours but mostly mean something else in a prompt ("tan", "snow", "chocolate"):
 * they count as a colour only where the grammar expects one (after "background", before "border").
 */
const AMBIGUOUS = new Set([
  'tan', 'snow', 'linen', 'peru', 'wheat', 'tomato', 'chocolate', 'salmon', 'plum', 'orchid', 'thistle', 'moccasin', 'bisque',
  'honeydew', 'oldlace', 'sand', 'sage', 'rust', 'copper', 'bronze', 'jade', 'mint', 'peach', 'cream', 'ivory', 'azure', 'lime',
  'gainsboro', 'lavender', 'rose', 'amber', 'coral', 'ruby', 'khaki', 'indigo', 'olive',
]);

/** Shade words before a colour without a CSS name of its own: "pale blue" mixes blue with white. */
export const SHADES: Record<string, { toward: 'black' | 'white'; amount: number }> = {
  dark: { toward: 'black', amount: 0.45 },
  deep: { toward: 'black', amount: 0.35 },
  darker: { toward: 'black', amount: 0.35 },
  light: { toward: 'white', amount: 0.5 },
  pale: { toward: 'white', amount: 0.6 },
  pastel: { toward: 'white', amount: 0.55 },
  lighter: { toward: 'white', amount: 0.35 },
  soft: { toward: 'white', amount: 0.3 },
  bright: { toward: 'white', amount: 0 },
};

/** Neutral colours: as a palette wish they are tone words ("make it white" = brighter), handled elsewhere. */
export const NEUTRALS = new Set(['black', 'white', 'grey', 'gray', 'silver']);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const alternation = (phrases: Iterable<string>) => [...phrases].sort((a, b) => b.length - a.length).map(escape).join('|');

function namePattern(names: Iterable<string>): string {
  const forms = [...names].map((name) => (splitName(name) ?? [name]).map(escape).join(' ?'));
  return forms.sort((a, b) => b.length - a.length).join('|');
}

/** A hex code after normalisation: "#1e90ff" is read as "hex1e90ff" (the prompt reader turns "#" into "hex"). */
const HEX = 'hex(?:[0-9a-f]{6}|[0-9a-f]{3})';
/** Any colour phrase, for places where the grammar expects a colour: "dark blue", "teal", "hex1e90ff". */
export const COLOUR_PHRASE = `(?:(?:(?:${alternation(Object.keys(SHADES))}) )?(?:${namePattern(COLOUR_TABLE.keys())})|${HEX})`;
/** A colour phrase that, on its own in a prompt, is a wish for that colour: no neutrals, no ambiguous words. */
export const CHROMATIC_COLOUR_PHRASE = `(?:(?:(?:${alternation(Object.keys(SHADES))}) )?(?:${namePattern(
  [...COLOUR_TABLE.keys()].filter((n) => !AMBIGUOUS.has(n) && !NEUTRALS.has(n) && !/^(?:white|black)|gr[ae]y$/.test(n)),
)})|${HEX})`;

/**
 * The colour a phrase names, with the name as written and the exact value. "dark blue" is CSS
 * darkblue; a shade with no CSS name mixes the colour toward black or white. A dark grey is
 * mixed, since CSS's "darkgrey" is lighter than its "grey".
 */
export function colourFromPhrase(phrase: string): NamedColour | undefined {
  const text = phrase.trim().replace(/\s+/g, ' ');
  const hex = /^hex([0-9a-f]{6}|[0-9a-f]{3})$/.exec(text);
  if (hex) {
    const rgb = hexToRgb(hex[1]);
    return { name: rgbToHex(rgb), rgb };
  }
  const whole = COLOUR_TABLE.get(text.replace(/ /g, ''));
  const words = text.split(' ');
  const shade = SHADES[words[0]];
  if (whole && !(shade?.toward === 'black' && words.length === 2 && /^gr[ae]y$/.test(words[1]))) return { name: text, rgb: whole };
  if (!shade) return undefined;
  const base = COLOUR_TABLE.get(words.slice(1).join(''));
  if (!base) return undefined;
  const end = shade.toward === 'black' ? 0 : 255;
  return { name: text, rgb: base.map((c) => Math.round(c + (end - c) * shade.amount)) as unknown as Rgb };
}
