/**
 * The databases the concept store's tests run on, and what those tests share: a logger that keeps
 * quiet about refused connections, and a concept to store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RefinedConceptInput } from '../../../src/adapters/concept-store/concept-store';
import { connectDatabase, type DatabaseConfig } from '../../../src/adapters/concept-store/knex-concept-store';

/** Knex warns about every refused connection; the tests check the errors instead. */
export const quiet = { log: { warn: () => undefined } };

/**
 * One behaviour suite, two databases. PostgreSQL is the run's shared database (other suites use the
 * same table), so every task id here is unique and only those rows are deleted afterwards.
 */
interface Backend {
  open(): DatabaseConfig;
  /** Removes what this suite created. */
  cleanUp(db: DatabaseConfig, taskIds: string[]): Promise<void>;
}

export const backends: Record<'postgres' | 'sqlite', Backend> = {
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

export function conceptFor(taskId: string): RefinedConceptInput {
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
