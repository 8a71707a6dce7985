import { Client as PgClient } from 'pg';

/** The PostgreSQL server the tests create their databases on (trust auth for `postgres` by default). */
export const ADMIN_DATABASE_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs statements on the admin database (CREATE/DROP DATABASE cannot run inside a database being dropped). */
export async function adminQuery(...statements: string[]): Promise<void> {
  const admin = new PgClient({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    for (const statement of statements) await admin.query(statement);
  } finally {
    await admin.end();
  }
}
