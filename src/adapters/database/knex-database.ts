/**
 * The knex plumbing the concept store and the gateway share: one way to connect to the configured
 * database (PostgreSQL, or the embedded SQLite file), and migrations listed in code.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../../config';

export type DatabaseConfig = Config['database'];

/** A knex client for the configured database; no schema work (migrateToLatest does that). */
export async function connectDatabase(db: DatabaseConfig, { log }: { log?: Knex.Logger } = {}): Promise<Knex> {
  if (db.kind === 'postgres') {
    return knexFactory({
      client: 'pg',
      log,
      // Unroutable hosts would otherwise wait for the OS TCP timeout before we can report them.
      connection: { connectionString: db.url, connectionTimeoutMillis: 5_000 },
      // min 0: idle connections are closed instead of being kept open (and broken) across restarts.
      pool: { min: 0, max: 10 },
      acquireConnectionTimeout: 10_000,
    });
  }
  if (db.file !== ':memory:') await fs.mkdir(path.dirname(db.file), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    log,
    connection: { filename: db.file },
    useNullAsDefault: true,
    pool: {
      afterCreate(connection: { pragma(source: string): unknown }, done: (err: Error | null, c: unknown) => void) {
        // WAL lets readers (API, CLI) work while a worker writes; busy_timeout makes writers from
        // other processes wait for the lock instead of failing at once with SQLITE_BUSY.
        connection.pragma('journal_mode = WAL');
        connection.pragma('busy_timeout = 5000');
        done(null, connection);
      },
    },
  });
}

export interface NamedMigration {
  /** Recorded in the bookkeeping table: never rename a migration once it has shipped. */
  name: string;
  migration: Knex.Migration;
}

/**
 * Migrations listed in code rather than discovered on disk: static imports work the same under
 * tsx/jest (.ts) and compiled output (.js), and bundling cannot lose a file.
 */
class ListedMigrations implements Knex.MigrationSource<NamedMigration> {
  constructor(private readonly migrations: readonly NamedMigration[]) {}

  async getMigrations(): Promise<NamedMigration[]> {
    return [...this.migrations];
  }

  getMigrationName(entry: NamedMigration): string {
    return entry.name;
  }

  async getMigration(entry: NamedMigration): Promise<Knex.Migration> {
    return entry.migration;
  }
}

/**
 * Brings a schema up to date. Several processes may start at once against one database: knex's
 * migration lock keeps them from applying anything twice, but the loser gets an error instead of
 * waiting; so wait and look again.
 */
export async function migrateToLatest(
  knex: Knex,
  { migrations, tableName }: { migrations: readonly NamedMigration[]; tableName: string },
): Promise<void> {
  const config = { migrationSource: new ListedMigrations(migrations), tableName };
  for (let attempt = 1; ; attempt++) {
    try {
      await knex.migrate.latest(config);
      return;
    } catch (err) {
      if (attempt >= 10 || !isConcurrentMigration(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

function isConcurrentMigration(err: unknown): boolean {
  const { name, code, message } = (err ?? {}) as { name?: string; code?: string; message?: string };
  // MigrationLocked: someone else holds the lock. 23505/42P07/42710: two processes created the
  // bookkeeping tables at the same moment (PostgreSQL); SQLite says "already exists".
  return name === 'MigrationLocked' || ['23505', '42P07', '42710'].includes(code ?? '') || /already exists/i.test(message ?? '');
}

/**
 * Connects and brings a schema up to date: what every store and the gateway do at start. On a
 * failure the connection is closed again before the error goes on.
 */
export async function openMigratedDatabase(
  db: DatabaseConfig,
  { migrations, tableName, log }: { migrations: readonly NamedMigration[]; tableName: string; log?: Knex.Logger },
): Promise<Knex> {
  const knex = await connectDatabase(db, { log });
  try {
    await migrateToLatest(knex, { migrations, tableName });
  } catch (err) {
    await knex.destroy();
    throw err;
  }
  return knex;
}
