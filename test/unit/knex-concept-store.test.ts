import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RefinedConceptInput } from '../../src/adapters/concept-store/concept-store';
import {
  connectDatabase,
  KnexConceptStore,
  openConceptStore,
  type DatabaseConfig,
} from '../../src/adapters/concept-store/knex-concept-store';
import { classifyDatabaseError } from '../../src/adapters/database/database-errors';
import { CONCEPT_STORE_MIGRATIONS, CONCEPT_STORE_MIGRATIONS_TABLE } from '../../src/adapters/concept-store/migrations';
import { ConceptValidationError, StorageUnavailableError } from '../../src/errors';

const UNREACHABLE_POSTGRES: DatabaseConfig = { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/x' };
/** Knex warns about every refused connection; the assertions below check the errors instead. */
const quiet = { log: { warn: () => undefined } };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * One behaviour suite, two databases. PostgreSQL is the run's shared database (other suites use the
 * same table), so every task id here is unique and only those rows are deleted afterwards.
 */
interface Backend {
  open(): DatabaseConfig;
  /** Removes what this suite created. */
  cleanUp(db: DatabaseConfig, taskIds: string[]): Promise<void>;
}

const backends: Record<'postgres' | 'sqlite', Backend> = {
  postgres: {
    open() {
      const url = process.env.TEST_DATABASE_URL;
      if (!url) throw new Error('TEST_DATABASE_URL is not set: run through jest so the global setup creates it');
      return { kind: 'postgres', url };
    },
    async cleanUp(db, taskIds) {
      const knex = await connectDatabase(db);
      try {
        await knex('refined_concepts').whereIn('task_id', taskIds).delete();
      } finally {
        await knex.destroy();
      }
    },
  },
  sqlite: {
    open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-concepts-'));
      // A folder that does not exist yet: openConceptStore must create it.
      return { kind: 'sqlite', file: path.join(dir, 'nested', 'concepts.sqlite') };
    },
    async cleanUp(db) {
      if (db.kind === 'sqlite') fs.rmSync(path.dirname(path.dirname(db.file)), { recursive: true, force: true });
    },
  },
};

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
    expect(stored).toEqual({ ...concept, id, createdAt: expect.any(Date), parentConceptId: null, rootConceptId: id, parentDeleted: false });
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

    await expect(store.findById(id)).resolves.toEqual({ ...concept, id, createdAt: expect.any(Date), parentConceptId: null, rootConceptId: id, parentDeleted: false });
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
      expect(applied.map((row) => row.name)).toEqual(['0001-create-refined-concepts', '0002-add-concept-lineage']);
    } finally {
      await knex.destroy();
    }
  });
});

describe('migrating a fresh database from several processes at once', () => {
  it('on SQLite: every opener succeeds and the schema is created once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-concepts-'));
    const db: DatabaseConfig = { kind: 'sqlite', file: path.join(dir, 'concepts.sqlite') };
    try {
      const stores = await Promise.all([openConceptStore(db), openConceptStore(db), openConceptStore(db)]);
      await Promise.all(stores.map((s) => s.close()));
      const knex = await connectDatabase(db);
      try {
        await expect(knex(CONCEPT_STORE_MIGRATIONS_TABLE).count({ n: '*' }).first()).resolves.toEqual({ n: CONCEPT_STORE_MIGRATIONS.length });
        // WAL survives in the file header, so a fresh connection reports it.
        await expect(knex.raw('pragma journal_mode')).resolves.toEqual([{ journal_mode: 'wal' }]);
      } finally {
        await knex.destroy();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on PostgreSQL (a schema of its own each)', () => {
    let admin: Awaited<ReturnType<typeof connectDatabase>>;
    let schema: string;
    let db: DatabaseConfig;

    beforeEach(async () => {
      schema = `knex_store_test_${randomUUID().replace(/-/g, '')}`;
      const shared = backends.postgres.open() as { kind: 'postgres'; url: string };
      admin = await connectDatabase(shared);
      const url = new URL(shared.url);
      url.searchParams.set('options', `-c search_path=${schema}`);
      db = { kind: 'postgres', url: url.toString() };
      await admin.raw(`create schema ${schema}`);
    });

    afterEach(async () => {
      await admin.raw(`drop schema if exists ${schema} cascade`);
      await admin.destroy();
    });

    async function openAllAtOnceAndStoreOneConcept(openers: number): Promise<void> {
      const stores = await Promise.all(Array.from({ length: openers }, () => openConceptStore(db, quiet)));
      try {
        const results = await Promise.all(stores.map((s) => s.storeConcept(conceptFor(`task-${schema}`))));
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      const applied = await admin.withSchema(schema).from(CONCEPT_STORE_MIGRATIONS_TABLE).count({ n: '*' }).first();
      expect(Number(applied?.n)).toBe(CONCEPT_STORE_MIGRATIONS.length);
      const lockRows = await admin.withSchema(schema).from(`${CONCEPT_STORE_MIGRATIONS_TABLE}_lock`).select('is_locked');
      expect(lockRows).toEqual([{ is_locked: 0 }]);
    }

    it('every opener succeeds and the schema is created once', async () => {
      await openAllAtOnceAndStoreOneConcept(6);
    });

    it('a migration lock left taken by a process that died is released, not waited for forever', async () => {
      await openAllAtOnceAndStoreOneConcept(1);
      await admin.withSchema(schema).from(`${CONCEPT_STORE_MIGRATIONS_TABLE}_lock`).update({ is_locked: 1 });
      await openAllAtOnceAndStoreOneConcept(3);
    });

    it('a lock table that two first openers both filled (two rows) is repaired', async () => {
      // knex creates the lock row with "select, then insert if empty", so two processes starting on
      // a fresh database can both insert one; knex then reports "already locked" on every start.
      await openAllAtOnceAndStoreOneConcept(1);
      await admin.withSchema(schema).from(`${CONCEPT_STORE_MIGRATIONS_TABLE}_lock`).insert({ is_locked: 0 });
      await openAllAtOnceAndStoreOneConcept(3);
    });
  });
});

describe('when the database is out of reach', () => {
  it('openConceptStore fails with the transient StorageUnavailableError', async () => {
    const attempt = openConceptStore(UNREACHABLE_POSTGRES, quiet);
    await expect(attempt).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(attempt).rejects.toMatchObject({ retryable: true });
  });

  it('queries on an open store fail with StorageUnavailableError', async () => {
    const store = new KnexConceptStore(await connectDatabase(UNREACHABLE_POSTGRES, quiet));
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.findByTaskId('task-1')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.storeConcept(conceptFor('task-1'))).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await store.close();
    }
  });
});

describe('classifyDatabaseError', () => {
  const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['admin shutdown 57P01', withCode('57P01')],
    ['too many connections 53300', withCode('53300')],
    ['connection failure 08006', withCode('08006')],
    ['deadlock 40P01', withCode('40P01')],
    ['SQLITE_BUSY', withCode('SQLITE_BUSY')],
    ['SQLITE_IOERR_WRITE', withCode('SQLITE_IOERR_WRITE')],
    ['a dropped pg connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' })],
    ['AggregateError of refusals', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('%s → StorageUnavailableError', (_what, err) => {
    const mapped = classifyDatabaseError(err, 'test');
    expect(mapped).toBeInstanceOf(StorageUnavailableError);
    expect((mapped as Error).cause).toBe(err);
  });

  it("keeps the database's address out of the message (it reaches the user) and in the operator's detail", () => {
    const refused = withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.20.30.40:5432');
    const mapped = classifyDatabaseError(refused, 'store the concept') as StorageUnavailableError;
    expect(mapped.message).toBe('could not store the concept: the database is unavailable (ECONNREFUSED)');
    expect(mapped.operatorDetail).toContain('10.20.30.40:5432');
  });

  it.each([
    ['unique violation 23505', withCode('23505')],
    ['not-null violation 23502', withCode('23502')],
    ['invalid text 22P02', withCode('22P02')],
    ['SQLITE_CONSTRAINT_NOTNULL', withCode('SQLITE_CONSTRAINT_NOTNULL')],
  ])('%s → ConceptValidationError', (_what, err) => {
    expect(classifyDatabaseError(err, 'test')).toBeInstanceOf(ConceptValidationError);
  });

  it('passes unrecognised errors (usually bugs) through unchanged', () => {
    const bug = withCode('42P01', 'relation "nope" does not exist');
    expect(classifyDatabaseError(bug, 'test')).toBe(bug);
    expect(classifyDatabaseError('a string', 'test')).toBe('a string');
  });
});

function conceptFor(taskId: string): RefinedConceptInput {
  return {
    taskId,
    userId: 'user123',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
    imagePath: 'path/to/refined.png',
    imageUrl: 'https://example.com/refined.png',
    colorPalettes: [],
    isAnonymous: true,
    refinementPrompt: 'Make it more autumn-themed',
    originalImageUrl: 'https://example.com/original.png',
  };
}
