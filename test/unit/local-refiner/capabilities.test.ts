/**
 * What the local refiner says it can do is what it does: capabilities() comes from the same table
 * the parser's operations map to, and every published example parses into its row's operations.
 */
import fs from 'node:fs';
import { PAGE, withCapabilities } from '../../../scripts/local-refiner-gallery';
import { LocalRefiner } from '../../../src/adapters/concept-service/local-refiner';
import { parseRefinementInstructions } from '../../../src/adapters/concept-service/refinement-instructions';
import { APPLY_ORDER } from '../../../src/adapters/concept-service/refinement-operations';
import { INSTRUCTION_KINDS } from '../../../src/adapters/concept-service/refinement-vocabulary';

describe('LocalRefiner capabilities', () => {
  const capabilities = new LocalRefiner().capabilities();

  it('publishes every kind of instruction with a description and examples, and the aspects it can keep', () => {
    expect(capabilities).toMatchObject({ refiner: 'local', understands: 'instructions' });
    expect(capabilities.instructions.map((k) => k.kind)).toEqual(INSTRUCTION_KINDS.map((k) => k.kind));
    for (const kind of capabilities.instructions) {
      expect(kind.description.length).toBeGreaterThan(10);
      expect(kind.examples.length).toBeGreaterThanOrEqual(2);
    }
    expect(capabilities.preservableAspects).toEqual(expect.arrayContaining(['shape', 'text', 'colours', 'background']));
  });

  it('covers every operation the parser can produce', () => {
    const covered = new Set(INSTRUCTION_KINDS.flatMap((k) => k.operations));
    expect(APPLY_ORDER.filter((kind) => !covered.has(kind))).toEqual([]);
  });

  it.each(INSTRUCTION_KINDS.flatMap((k) => k.examples.map((example) => [k.kind, example, k.operations] as const)))(
    '%s: "%s" parses into that kind',
    (_kind, example, operations) => {
      const parsed = parseRefinementInstructions(example);
      expect(parsed.unrecognised).toEqual([]);
      expect(parsed.operations.length).toBeGreaterThan(0);
      for (const op of parsed.operations) expect(operations).toContain(op.kind);
    },
  );

  it('is what docs/local-refiner.md lists (regenerate with `npx tsx scripts/local-refiner-gallery.ts`)', () => {
    const page = fs.readFileSync(PAGE, 'utf8');
    expect(withCapabilities(page)).toBe(page);
  });
});
