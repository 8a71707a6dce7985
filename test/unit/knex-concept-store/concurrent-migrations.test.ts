/**
 * Several processes opening a fresh database at once, as workers and gateways starting together do:
 * each gets a working store and the schema is migrated once, even after a migration lock went wrong.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase, openConceptStore, type DatabaseConfig } from '../../../src/adapters/concept-store/knex-concept-store';
import { CONCEPT_STORE_MIGRATIONS, CONCEPT_STORE_MIGRATIONS_TABLE } from '../../../src/adapters/concept-store/migrations';
import { backends, conceptFor, quiet } from './databases';

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
