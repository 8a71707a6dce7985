/** Where refined concepts, webhook endpoints and the gateway's own tables live: PostgreSQL, or embedded SQLite. */
import path from 'node:path';
import { z } from 'zod';
import { defineConcern } from './concern';

export type DatabaseConfig = { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };

export const database = defineConcern({
  title: 'Database',
  variables: {
    DATABASE_URL: z.string().url().optional().meta({
      description: "PostgreSQL URL for refined concepts, webhook endpoints and the gateway's tables.",
      defaultText: '(unset: embedded SQLite)',
    }),
    SQLITE_FILE: z.string().default('data/refinery.sqlite').describe('The embedded SQLite database, used when `DATABASE_URL` is unset.'),
  },
  options: (e): { database: DatabaseConfig } => ({
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'sqlite', file: path.resolve(e.SQLITE_FILE) },
  }),
});
