/**
 * The refinement's outcome in the concept record, the same on PostgreSQL and on SQLite: kept as
 * written, null for a concept stored without one (and for rows from before the column), refused
 * when malformed. And the theme as the person wrote it, out of the seed's combined stored theme.
 */
import { randomUUID } from 'node:crypto';
import { combineThemeDescription, themeAsWritten, type RefinedConceptInput } from '../../../src/adapters/concept-store/concept-store';
import { connectDatabase, openConceptStore, type DatabaseConfig, type KnexConceptStore } from '../../../src/adapters/concept-store/knex-concept-store';
import { ConceptValidationError } from '../../../src/errors';
import type { RefinementOutcome } from '../../../src/workflows/types';
import { backends, conceptFor } from './databases';

const PARTLY: RefinementOutcome = {
  status: 'partly-applied',
  applied: ['background colour → dark blue'],
  notApplied: ['“add a hat”: adding objects is not something this refiner does', 'keep “text”: there is no text to keep'],
};

describe.each(Object.entries(backends))('outcomes on %s', (_name, backend) => {
  let db: DatabaseConfig;
  let store: KnexConceptStore;
  const taskIds: string[] = [];
  const concept = (overrides: Partial<RefinedConceptInput> = {}) => {
    const taskId = `outcome-test-${randomUUID()}`;
    taskIds.push(taskId);
    return { ...conceptFor(taskId), ...overrides };
  };

  beforeAll(async () => {
    db = backend.open();
    store = await openConceptStore(db);
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanUp(db, taskIds);
  });

  test('an outcome is stored and read back as written, by id, task and listing', async () => {
    const userId = `outcome-${randomUUID()}`;
    const { id } = await store.storeConcept(concept({ userId, outcome: PARTLY }));
    await expect(store.findById(id)).resolves.toMatchObject({ outcome: PARTLY });
    const listed = await store.listByUser(userId, { limit: 5 });
    expect(listed.items.map((c) => c.outcome)).toEqual([PARTLY]);
  });

  test('a concept stored without an outcome reads null, and so does a row with an unreadable one', async () => {
    const { id } = await store.storeConcept(concept());
    await expect(store.findById(id)).resolves.toMatchObject({ outcome: null });
    const knex = await connectDatabase(db);
    try {
      await knex('refined_concepts').where({ id }).update({ outcome: '{not json' });
    } finally {
      await knex.destroy();
    }
    await expect(store.findById(id)).resolves.toMatchObject({ outcome: null });
  });

  test('a malformed outcome is refused with the field named, and nothing is stored', async () => {
    const bad = concept({ outcome: { status: 'done', applied: 'all', notApplied: [] } as unknown as RefinementOutcome });
    const refused = store.storeConcept(bad);
    await expect(refused).rejects.toThrow(ConceptValidationError);
    await expect(store.storeConcept(bad)).rejects.toThrow(/outcome\.status must be one of applied, partly-applied, delegated; outcome\.applied must be a list of strings/);
    expect(await store.countByTaskId(bad.taskId)).toBe(0);
  });
});

describe('the theme as written', () => {
  test('comes out of the combined stored theme, whatever the prompt holds', () => {
    const prompt = 'swap (blue) for (red)';
    const stored = combineThemeDescription('  Modern tech ', prompt);
    expect(stored).toBe('Modern tech (refined: swap (blue) for (red))');
    expect(themeAsWritten({ themeDescription: stored, refinementPrompt: prompt })).toBe('Modern tech');
  });

  test('refining again from it does not grow the theme', () => {
    let theme = 'Modern tech';
    for (const prompt of ['warmer', 'more contrast', 'warmer']) {
      const stored = combineThemeDescription(theme, prompt);
      theme = themeAsWritten({ themeDescription: stored, refinementPrompt: prompt });
    }
    expect(theme).toBe('Modern tech');
  });

  test('a theme stored otherwise is left as it is', () => {
    expect(themeAsWritten({ themeDescription: 'Plain theme', refinementPrompt: 'warmer' })).toBe('Plain theme');
    expect(themeAsWritten({ themeDescription: 'Theme (refined: cooler)', refinementPrompt: 'warmer' })).toBe('Theme (refined: cooler)');
  });
});
