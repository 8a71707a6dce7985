/**
 * How the local refiner reads a prompt, before any pixel: the words each operation answers to, the
 * fixed order operations run in, what it reports as not understood and what a preserved aspect
 * withholds.
 */
import { parseRefinementInstructions } from '../../../src/adapters/concept-service/refinement-instructions';
import type { RefinementOperation } from '../../../src/adapters/concept-service/refinement-operations';

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
    ['neon', [{ kind: 'saturation', factor: 1.6 }]],
    ['pastel', [{ kind: 'saturation', factor: 0.71 }, { kind: 'brightness', factor: 1.15 }]],
    ['grey', [{ kind: 'saturation', factor: 0.71 }]],
    ['invert', [{ kind: 'invert' }]],
    ['flip', [{ kind: 'mirror', axis: 'horizontal' }]],
    ['mirror', [{ kind: 'mirror', axis: 'horizontal' }]],
    ['upside down', [{ kind: 'mirror', axis: 'vertical' }]],
    ['flip it vertically', [{ kind: 'mirror', axis: 'vertical' }]],
  ])('%s', (prompt, expected) => {
    expect(parseRefinementInstructions(prompt)).toEqual({ operations: expected, unrecognised: [], withheld: [] });
  });

  it.each<[string, string[]]>([
    ['red', ['red']],
    ['orange', ['orange']],
    ['yellow', ['yellow']],
    ['greener', ['green']],
    ['bluish', ['blue']],
    ['violet', ['purple']],
    ['purple', ['purple']],
    ['pink', ['pink']],
    ['brown', ['brown']],
    ['cyan', ['teal']],
    ['teal', ['teal']],
    ['golden', ['gold']],
    ['autumnal', ['orange', 'red', 'brown']],
    ['ocean', ['blue', 'teal']],
    ['forest', ['green']],
    ['Make it more autumn-themed with orange and red', ['orange', 'red', 'brown']],
  ])('colour words: %s', (prompt, colours) => {
    const [op] = parseRefinementInstructions(prompt).operations;
    expect(op).toMatchObject({ kind: 'palette', colours, strength: 0.45 });
  });

  it.each<[string, RefinementOperation[]]>([
    ['make the background dark blue', [{ kind: 'background', colour: { name: 'dark blue', rgb: [22, 55, 121] } }]],
    ['change the background to white', [{ kind: 'background', colour: { name: 'white', rgb: [255, 255, 255] } }]],
    ['use a navy backdrop', [{ kind: 'background', colour: { name: 'navy', rgb: [20, 35, 90] } }]],
    ['make the background darker', [{ kind: 'background', tone: 'darker' }]],
    ['a lighter backdrop please', [{ kind: 'background', tone: 'lighter' }]],
    ['add a thin white border', [{ kind: 'border', colour: { name: 'white', rgb: [255, 255, 255] }, width: { fraction: 0.015, label: 'thin' } }]],
    ['add a 10px red frame', [{ kind: 'border', colour: { name: 'red', rgb: [214, 40, 40] }, width: { px: 10 } }]],
    ['put a thick black border around it', [{ kind: 'border', colour: { name: 'black', rgb: [0, 0, 0] }, width: { fraction: 0.06, label: 'thick' } }]],
    ['add a border', [{ kind: 'border', width: { fraction: 0.03, label: 'medium' } }]],
    ['make the fox bigger', [{ kind: 'scale', factor: 1.25 }]],
    ['enlarge the logo a bit', [{ kind: 'scale', factor: 1.1 }]],
    ['make it much larger', [{ kind: 'scale', factor: 1.5 }]],
    ['make the logo smaller', [{ kind: 'scale', factor: 0.8 }]],
    ['more padding around the subject', [{ kind: 'scale', factor: 0.8 }]],
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
    ['change the teal to purple', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 150, 150] }, to: { name: 'purple', rgb: [128, 60, 170] } }]],
    ['replace the teal circle with purple', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 150, 150] }, to: { name: 'purple', rgb: [128, 60, 170] } }]],
    ['make the teal purple', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 150, 150] }, to: { name: 'purple', rgb: [128, 60, 170] } }]],
    ['turn the teal circle into a gold one', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 150, 150] }, to: { name: 'gold', rgb: [212, 168, 55] } }]],
    ['purple instead of teal', [{ kind: 'swap', from: { name: 'teal', rgb: [0, 150, 150] }, to: { name: 'purple', rgb: [128, 60, 170] } }]],
    ['turn it upside down', [{ kind: 'mirror', axis: 'vertical' }]],
    ['flip it upside down', [{ kind: 'mirror', axis: 'vertical' }]],
    ['mirror it horizontally', [{ kind: 'mirror', axis: 'horizontal' }]],
  ])('structural: %s', (prompt, expected) => {
    expect(parseRefinementInstructions(prompt)).toEqual({ operations: expected, unrecognised: [], withheld: [] });
  });

  it('keeps tone words next to a structural edit and orders structural edits after grading', () => {
    expect(kinds('make the background dark blue and more contrast')).toEqual(['contrast', 'background']);
    expect(kinds('add a white border, rotate it 90 degrees, make it bigger, change red to blue, remove the background, warmer')).toEqual([
      'temperature', 'swap', 'scale', 'rotate', 'transparent', 'border',
    ]);
  });

  it('aims the palette at the mean of the named colours', () => {
    const [op] = parseRefinementInstructions('red and yellow').operations;
    expect(op).toEqual({ kind: 'palette', colours: ['red', 'yellow'], target: [230, 124, 45], strength: 0.45 });
  });

  it('applies operations in a fixed order whatever the prompt order', () => {
    expect(kinds('blur it, invert, more contrast, brighter, vibrant, warmer, blue, sepia, monochrome, mirror')).toEqual([
      'mirror', 'monochrome', 'sepia', 'palette', 'temperature', 'saturation', 'brightness', 'contrast', 'invert', 'blur',
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
  });

  it('withholds what a preserved aspect protects', () => {
    const parsed = parseRefinementInstructions('orange, warmer, mirror, blur, brighter', ['Colours', 'overall shape']);
    expect(parsed.operations.map((op) => op.kind)).toEqual(['brightness']);
    expect(parsed.withheld.map((w) => [w.operation.kind, w.aspect])).toEqual([
      ['mirror', 'overall shape'],
      ['palette', 'Colours'],
      ['temperature', 'Colours'],
      ['blur', 'overall shape'],
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
