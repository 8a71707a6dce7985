/**
 * How the local refiner reads a prompt, before any pixel: the words each operation answers to, the
 * fixed order operations run in, what it reports as not understood and what a preserved aspect
 * withholds.
 */
import { parseRefinementInstructions } from '../../../src/adapters/concept-service/refinement-instructions';
import { describeOperation, type RefinementOperation } from '../../../src/adapters/concept-service/refinement-operations';

/** The parse without the kept aspects and named parts, which most cases do not use. */
const parse = (prompt: string, preserve: string[] = []) => {
  const { operations, unrecognised, withheld } = parseRefinementInstructions(prompt, preserve);
  return { operations, unrecognised, withheld };
};

describe('parseRefinementInstructions', () => {
  const kinds = (prompt: string, preserve: string[] = []) =>
    parseRefinementInstructions(prompt, preserve).operations.map((op) => op.kind);

  it.each<[string, RefinementOperation[]]>([
    ['brighter', [{ kind: 'brightness', factor: 1.25 }]],
    ['lighter', [{ kind: 'brightness', factor: 1.25 }]],
    ['darker', [{ kind: 'brightness', factor: 0.8 }]],
    ['not as dark', [{ kind: 'brightness', factor: 1.25 }]],
    ['a bit brighter', [{ kind: 'brightness', factor: 1.13 }]],
    ['much brighter', [{ kind: 'brightness', factor: 1.45 }]],
    ['more contrast', [{ kind: 'contrast', factor: 1.3 }]],
    ['less contrast', [{ kind: 'contrast', factor: 0.77 }]],
    ['reduce the contrast', [{ kind: 'contrast', factor: 0.77 }]],
    ['warmer', [{ kind: 'temperature', shift: 0.12 }]],
    ['less warm', [{ kind: 'temperature', shift: -0.12 }]],
    ['cooler', [{ kind: 'temperature', shift: -0.12 }]],
    ['monochrome', [{ kind: 'monochrome' }]],
    ['black and white', [{ kind: 'monochrome' }]],
    ['grayscale', [{ kind: 'monochrome' }]],
    ['sepia', [{ kind: 'sepia', strength: 1 }]],
    ['vintage', [{ kind: 'sepia', strength: 0.5 }]],
    ['blur', [{ kind: 'blur', sigma: 1.5 }]],
    ['softer', [{ kind: 'blur', sigma: 1.5 }]],
    ['less blurry', [{ kind: 'sharpen', sigma: 1 }]],
    ['sharpen', [{ kind: 'sharpen', sigma: 1 }]],
    ['crisp', [{ kind: 'sharpen', sigma: 1 }]],
    ['more vibrant', [{ kind: 'saturation', factor: 1.4 }]],
    ['saturated', [{ kind: 'saturation', factor: 1.4 }]],
    ['muted', [{ kind: 'saturation', factor: 0.71 }]],
    ['desaturated', [{ kind: 'saturation', factor: 0.71 }]],
    ['less saturated', [{ kind: 'saturation', factor: 0.71 }]],
    ['pale', [{ kind: 'saturation', factor: 0.71 }, { kind: 'brightness', factor: 1.15 }]],
    ['grey', [{ kind: 'monochrome' }]],
    ['greyish', [{ kind: 'saturation', factor: 0.71 }]],
    ['invert', [{ kind: 'invert' }]],
    ['flip', [{ kind: 'mirror', axis: 'horizontal' }]],
    ['mirror', [{ kind: 'mirror', axis: 'horizontal' }]],
    ['upside down', [{ kind: 'mirror', axis: 'vertical' }]],
    ['flip it vertically', [{ kind: 'mirror', axis: 'vertical' }]],
  ])('%s', (prompt, expected) => {
    expect(parse(prompt)).toEqual({ operations: expected, unrecognised: [], withheld: [] });
  });

  it.each<[string, string[], string | undefined]>([
    ['red', ['red'], undefined],
    ['more orange', ['orange'], undefined],
    ['use a purple palette', ['purple'], undefined],
    ['in shades of dark green', ['dark green'], undefined],
    ['make it #1e90ff', ['#1e90ff'], undefined],
    ['teal and gold colour scheme', ['teal', 'gold'], undefined],
    ['autumnal', [], 'autumn'],
    ['ocean colours', [], 'ocean'],
    ['forest vibes', [], 'forest'],
    ['make it pastel', [], 'pastel'],
    ['neon', [], 'neon'],
    ['Make it more autumn-themed with orange and red', ['orange', 'red'], 'autumn'],
  ])('palette words: %s', (prompt, colours, theme) => {
    const { operations, unrecognised } = parseRefinementInstructions(prompt);
    expect(unrecognised).toEqual([]);
    expect(operations).toHaveLength(1);
    expect(operations[0]).toMatchObject({ kind: 'palette', strength: 1 });
    const op = operations[0] as Extract<RefinementOperation, { kind: 'palette' }>;
    expect(op.colours.map((c) => c.name)).toEqual(colours);
    expect(op.theme).toBe(theme);
  });

  it.each<[string, RefinementOperation[]]>([
    ['make the background dark blue', [{ kind: 'background', colour: { name: 'dark blue', rgb: [0, 0, 139] } }]],
    ['change the background to white', [{ kind: 'background', colour: { name: 'white', rgb: [255, 255, 255] } }]],
    ['use a navy backdrop', [{ kind: 'background', colour: { name: 'navy', rgb: [0, 0, 128] } }]],
    ['make the background darker', [{ kind: 'background', tone: 'darker' }]],
    ['a lighter backdrop please', [{ kind: 'background', tone: 'lighter' }]],
    ['add a thin white border', [{ kind: 'border', colour: { name: 'white', rgb: [255, 255, 255] }, width: { fraction: 0.015, label: 'thin' } }]],
    ['add a 10px red frame', [{ kind: 'border', colour: { name: 'red', rgb: [255, 0, 0] }, width: { px: 10 } }]],
    ['put a thick black border around it', [{ kind: 'border', colour: { name: 'black', rgb: [0, 0, 0] }, width: { fraction: 0.06, label: 'thick' } }]],
    ['add a border', [{ kind: 'border', width: { fraction: 0.03, label: 'medium' } }]],
    ['make the fox bigger', [{ kind: 'scale', factor: 1.25 }]],
    ['enlarge the logo a bit', [{ kind: 'scale', factor: 1.1 }]],
    ['make it much larger', [{ kind: 'scale', factor: 1.5 }]],
    ['make the logo smaller', [{ kind: 'scale', factor: 0.8 }]],
    ['more padding around the subject', [{ kind: 'padding', size: { fraction: 0.1 } }]],
    ['add 10% margin', [{ kind: 'padding', size: { fraction: 0.1 } }]],
    ['add 20px padding', [{ kind: 'padding', size: { px: 20 } }]],
    ['a bit more space around it', [{ kind: 'padding', size: { fraction: 0.05 } }]],
    ['twice as big', [{ kind: 'scale', factor: 2 }]],
    ['make the background #0f172a', [{ kind: 'background', colour: { name: '#0f172a', rgb: [15, 23, 42] } }]],
    ['make the background dark slate gray', [{ kind: 'background', colour: { name: 'dark slate grey', rgb: [47, 79, 79] } }]],
    ['half the size', [{ kind: 'scale', factor: 0.5 }]],
    ['rotate it slightly', [{ kind: 'rotate', degrees: 15 }]],
    ['tilt it', [{ kind: 'rotate', degrees: 15 }]],
    ['rotate 90 degrees', [{ kind: 'rotate', degrees: 90 }]],
    ['rotate it 45° counterclockwise', [{ kind: 'rotate', degrees: -45 }]],
    ['turn it 270 degrees clockwise', [{ kind: 'rotate', degrees: -90 }]],
    ['rotate the fox 30 degrees to the left', [{ kind: 'rotate', degrees: -30 }]],
    ['make the background transparent', [{ kind: 'transparent' }]],
    ['remove the background', [{ kind: 'transparent' }]],
    ['transparent bg', [{ kind: 'transparent' }]],
    ['change the teal to purple', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 128, 128] }, to: { name: 'purple', rgb: [128, 0, 128] } }]],
    ['replace the teal circle with purple', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 128, 128] }, to: { name: 'purple', rgb: [128, 0, 128] } }]],
    ['make the teal purple', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 128, 128] }, to: { name: 'purple', rgb: [128, 0, 128] } }]],
    ['turn the teal circle into a gold one', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 128, 128] }, to: { name: 'gold', rgb: [255, 215, 0] } }]],
    ['purple instead of teal', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 128, 128] }, to: { name: 'purple', rgb: [128, 0, 128] } }]],
    ['turn it upside down', [{ kind: 'mirror', axis: 'vertical' }]],
    ['flip it upside down', [{ kind: 'mirror', axis: 'vertical' }]],
    ['mirror it horizontally', [{ kind: 'mirror', axis: 'horizontal' }]],
  ])('structural: %s', (prompt, expected) => {
    expect(parse(prompt)).toEqual({ operations: expected, unrecognised: [], withheld: [] });
  });

  it('keeps tone words next to a structural edit and orders structural edits after grading', () => {
    expect(kinds('make the background dark blue and more contrast')).toEqual(['contrast', 'background']);
    expect(kinds('add a white border, rotate it 90 degrees, make it bigger, change red to blue, remove the background, warmer')).toEqual([
      'temperature', 'swap', 'scale', 'rotate', 'transparent', 'border',
    ]);
  });

  it.each<[string, string[], string[]]>([
    ['Remove the white background', ['background → transparent'], []],
    ['Scale it up by 50%', ['subject bigger (×1.50)'], []],
    ['Tone down the brightness', ['darker (×0.80)'], []],
    ['remove all color', ['converted to black and white (greyscale)'], []],
    ['Use a blue and white color scheme', ['palette → blue (#0000ff) and white (#ffffff)'], []],
    ['give it a cool blue tint', ['cooler (12%)', 'palette → blue (#0000ff) (35% of the way)'], []],
    ['Give it a sunset vibe', ['palette → sunset theme'], []],
    ['Make the fox orange', [], ['make the fox orange']],
    ['change the text colour to red', [], ['change the text colour to red']],
    ['Make the logo bigger and centered', ['subject bigger (×1.25)'], ['centered']],
  ])('everyday phrasing: %s', (prompt, described, unrecognised) => {
    const parsed = parseRefinementInstructions(prompt);
    expect(parsed.operations.map(describeOperation)).toEqual(described);
    expect(parsed.unrecognised).toEqual(unrecognised);
  });

  it('applies operations in a fixed order whatever the prompt order', () => {
    expect(kinds('blur it, invert, more contrast, brighter, vibrant, warmer, blue, sepia, monochrome, mirror')).toEqual([
      'monochrome', 'sepia', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'blur', 'palette', 'mirror',
    ]);
  });

  it('lets opposite wishes cancel and repeated ones count once', () => {
    expect(kinds('brighter, then darker')).toEqual([]);
    expect(parseRefinementInstructions('brighter and lighter').operations).toEqual([{ kind: 'brightness', factor: 1.25 }]);
  });

  it('reports fragments it cannot map, ignoring pure filler', () => {
    expect(parseRefinementInstructions('add a fox, brighter and some sparkles. Thanks!').unrecognised).toEqual([
      'add a fox',
      'some sparkles',
    ]);
    // A negated colour has no sensible reverse, so it counts as not understood.
    expect(parseRefinementInstructions('no red').unrecognised).toEqual(['no red']);
    // A colour after a verb that adds something describes the new thing, not the logo.
    expect(parse('add a red hat to the fox')).toEqual({ operations: [], unrecognised: ['add a red hat to the fox'], withheld: [] });
    expect(kinds('add some warmth')).toEqual(['temperature']);
  });

  it('withholds what a preserved aspect protects', () => {
    const parsed = parseRefinementInstructions('orange, warmer, mirror, blur, brighter, add a border', ['Colours', 'overall shape']);
    expect(parsed.operations.map((op) => op.kind)).toEqual(['border']);
    expect(parsed.withheld.map((w) => [w.operation.kind, w.aspect])).toEqual([
      ['temperature', 'Colours'],
      ['brightness', 'Colours'],
      ['blur', 'overall shape'],
      ['palette', 'Colours'],
      ['mirror', 'overall shape'],
    ]);
    expect(parsed.kept.map((k) => [k.given, k.aspects.map((a) => a.aspect)])).toEqual([['Colours', ['colours']], ['overall shape', ['shape']]]);
    expect(parseRefinementInstructions('brighter', ['the fox silhouette', 'the font', 'background colour', 'the vibe']).kept.map((k) => k.aspects.map((a) => a.aspect))).toEqual([
      ['shape'], ['text'], ['background'], [],
    ]);
    expect(kinds('sharpen', ['fine details'])).toEqual([]);
    expect(kinds('blur', ['fine details'])).toEqual([]);
    expect(kinds('make everything brighter', ['everything'])).toEqual([]);
  });

  it('is deterministic', () => {
    const prompt = 'much warmer, slightly blurry, ocean and gold, not as dark';
    expect(parseRefinementInstructions(prompt)).toEqual(parseRefinementInstructions(prompt));
  });
});
