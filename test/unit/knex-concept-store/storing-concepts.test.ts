/**
 * The concept store's behaviour, the same on PostgreSQL and on SQLite: storing once per task,
 * finding, lineage, validation, migrations that run once.
 */
import { randomUUID } from 'node:crypto';
import type { RefinedConceptInput } from '../../../src/adapters/concept-store/concept-store';
import {
  connectDatabase,
  KnexConceptStore,
  openConceptStore,
  type DatabaseConfig,
} from '../../../src/adapters/concept-store/knex-concept-store';
import { CONCEPT_STORE_MIGRATIONS, CONCEPT_STORE_MIGRATIONS_TABLE } from '../../../src/adapters/concept-store/migrations';
import { ConceptValidationError } from '../../../src/errors';
import { backends } from './databases';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(Object.entries(backends))('KnexConceptStore on %s', (_name, backend) => {
  let db: DatabaseConfig;
  let store: KnexConceptStore;
  const createdTaskIds: string[] = [];

  /** A task id no other test (or suite) uses, remembered for clean-up. */
  function newTaskId(): string {
    const taskId = `knex-store-test-${randomUUID()}`;
    createdTaskIds.push(taskId);
    return taskId;
  }

  /** The seed's "Refined Concept Data Structure". */
  function seedConcept(overrides: Partial<RefinedConceptInput> = {}): RefinedConceptInput {
    return {
      taskId: newTaskId(),
      userId: 'user123',
      logoDescription: 'A minimalist fox',
      themeDescription: 'Modern tech with autumn colors (refined: Make it more autumn-themed with orange and red)',
      imagePath: 'path/to/refined.png',
      imageUrl: 'https://example.com/refined.png',
      colorPalettes: [],
      isAnonymous: true,
      refinementPrompt: 'Make it more autumn-themed with orange and red',
      originalImageUrl: 'https://example.com/original.png',
      ...overrides,
    };
  }

  beforeAll(async () => {
    db = backend.open();
    store = await openConceptStore(db);
  });

  afterAll(async () => {
    await store?.close();
    await backend.cleanUp(db, createdTaskIds);
  });

  it('lineage: parent and root recorded, listing pages newest first and filters by root, deleting a parent marks its children', async () => {
    const userId = `lineage-${randomUUID()}`;
    // "Newest first" needs distinct creation times: rows stored within one millisecond tie (the
    // listing then orders them by id), so each concept is stored in a later millisecond.
    const later = <T>(store: () => Promise<T>) => new Promise((r) => setTimeout(r, 3)).then(store);
    const root = await store.storeConcept(seedConcept({ userId }));
    const child = await later(() => store.storeConcept(seedConcept({ userId, parentConceptId: root.id })));
    const grandchild = await later(() => store.storeConcept(seedConcept({ userId, parentConceptId: child.id })));
    const other = await later(() => store.storeConcept(seedConcept({ userId })));
    await expect(store.findById(grandchild.id)).resolves.toMatchObject({ parentConceptId: child.id, rootConceptId: root.id, parentDeleted: false });
    await expect(store.findChildren(root.id)).resolves.toEqual([expect.objectContaining({ id: child.id })]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listByUser(userId, { limit: 3, cursor });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([other.id, grandchild.id, child.id, root.id]);
    const lineage = await store.listByUser(userId, { limit: 10, rootConceptId: root.id });
    expect(lineage).toEqual({ items: [grandchild, child, root].map((c) => expect.objectContaining({ id: c.id })), nextCursor: null });
    await expect(store.listByUser(userId, { limit: 2, cursor: 'bm90IG91cnM' })).rejects.toThrow('cursor is not one this API returned');

    await expect(store.deleteConcept(child.id)).resolves.toBe(true);
    await expect(store.deleteConcept(child.id)).resolves.toBe(false);
    await expect(store.findById(child.id)).resolves.toBeUndefined();
    await expect(store.findById(grandchild.id)).resolves.toMatchObject({ parentConceptId: child.id, rootConceptId: root.id, parentDeleted: true });
    // A child whose parent vanished before it was stored records that, and starts a lineage of its own.
    const late = await store.storeConcept(seedConcept({ userId, parentConceptId: child.id }));
    await expect(store.findById(late.id)).resolves.toMatchObject({ parentConceptId: child.id, rootConceptId: late.id, parentDeleted: true });
  });

  it('round-trips every field of the seed structure', async () => {
    const concept = seedConcept();
    const before = Date.now();

    const { id, created } = await store.storeConcept(concept);

    expect(created).toBe(true);
    expect(id).toMatch(UUID);
    const stored = await store.findById(id);
    expect(stored).toEqual({ ...concept, id, createdAt: expect.any(Date), parentConceptId: null, rootConceptId: id, parentDeleted: false, outcome: null });
    // Generous bounds: PostgreSQL's clock is its own, and SQLite's default has millisecond precision.
    expect(Math.abs(stored!.createdAt.getTime() - before)).toBeLessThan(60_000);
    await expect(store.findByTaskId(concept.taskId)).resolves.toEqual(stored);
  });

  it('round-trips non-empty palettes, isAnonymous=false and unusual text', async () => {
    const concept = seedConcept({
      colorPalettes: [{ name: 'Autumn', colors: ['#D2691E', '#8B0000'], weights: [0.6, 0.4], nested: { ok: null } }],
      isAnonymous: false,
      logoDescription: 'Fuchs «minimal» 🦊 with "quotes", \'apostrophes\' and\nnew lines',
      themeDescription: '',
    });

    const { id } = await store.storeConcept(concept);

    await expect(store.findById(id)).resolves.toEqual({ ...concept, id, createdAt: expect.any(Date), parentConceptId: null, rootConceptId: id, parentDeleted: false, outcome: null });
  });

  it('stores once per task id: a repeated call returns the same id with created=false', async () => {
    const concept = seedConcept();

    const first = await store.storeConcept(concept);
    const second = await store.storeConcept({ ...concept, imageUrl: 'https://example.com/other.png' });

    expect(second).toEqual({ id: first.id, created: false });
    await expect(store.countByTaskId(concept.taskId)).resolves.toBe(1);
    // The first write wins; a retry never rewrites the record.
    await expect(store.findByTaskId(concept.taskId)).resolves.toMatchObject({ imageUrl: concept.imageUrl });
  });

  it('yields one row and one id when the same task is stored concurrently, even from two stores', async () => {
    const other = await openConceptStore(db);
    try {
      const concept = seedConcept();
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : other).storeConcept(concept)),
      );

      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      await expect(store.countByTaskId(concept.taskId)).resolves.toBe(1);
    } finally {
      await other.close();
    }
  });

  it('finds nothing for unknown ids and task ids', async () => {
    await expect(store.findById(randomUUID())).resolves.toBeUndefined();
    await expect(store.findById('not-a-uuid')).resolves.toBeUndefined();
    await expect(store.findByTaskId(`knex-store-test-absent-${randomUUID()}`)).resolves.toBeUndefined();
    await expect(store.countByTaskId(`knex-store-test-absent-${randomUUID()}`)).resolves.toBe(0);
  });

  it('finds by id regardless of letter case', async () => {
    const { id } = await store.storeConcept(seedConcept());
    await expect(store.findById(id.toUpperCase())).resolves.toMatchObject({ id });
  });

  it('keeps concepts of different tasks apart', async () => {
    const a = await store.storeConcept(seedConcept({ userId: 'user-a' }));
    const b = await store.storeConcept(seedConcept({ userId: 'user-a' }));
    expect(a.id).not.toBe(b.id);
    expect([a.created, b.created]).toEqual([true, true]);
  });

  it.each([
    ['an empty task id', { taskId: '' }],
    ['a blank user id', { userId: '   ' }],
    ['a NUL character', { refinementPrompt: 'orange\u0000red' }],
    ['a non-boolean isAnonymous', { isAnonymous: 'yes' as unknown as boolean }],
    ['palettes that are not an array', { colorPalettes: {} as unknown as unknown[] }],
    ['a missing field', { originalImageUrl: undefined as unknown as string }],
  ])('refuses %s with a permanent ConceptValidationError', async (_what, overrides) => {
    const concept = seedConcept(overrides);
    const attempt = store.storeConcept(concept);

    await expect(attempt).rejects.toBeInstanceOf(ConceptValidationError);
    await expect(attempt).rejects.toMatchObject({ retryable: false });
    if (concept.taskId) await expect(store.countByTaskId(concept.taskId)).resolves.toBe(0);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('runs migrations idempotently: opening again changes nothing and sees the same data', async () => {
    const { id } = await store.storeConcept(seedConcept());

    const again = await openConceptStore(db);
    try {
      await expect(again.findById(id)).resolves.toMatchObject({ id });
    } finally {
      await again.close();
    }
    const knex = await connectDatabase(db);
    try {
      const applied = await knex(CONCEPT_STORE_MIGRATIONS_TABLE).select('name');
      expect(applied.map((row) => row.name)).toEqual(CONCEPT_STORE_MIGRATIONS.map((m) => m.name));
    } finally {
      await knex.destroy();
    }
  });
});
