/**
 * The knex plumbing the stores and the gateway share: one way to connect to the configured
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
  /**
   * What knex records in the store's bookkeeping table once the migration has run. Fixed for good
   * once shipped: knex refuses to migrate a database whose table names a migration the list no
   * longer has, and would run a renamed migration a second time.
   */
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
 * Brings a schema up to date. Several processes may start at once against one database (workers on
 * several hosts, the gateway). knex's own migration lock is not enough for that: the loser of the
 * race gets an error instead of waiting, a process killed mid-migration leaves the lock taken for
 * good, and two processes creating the bookkeeping tables at the same moment can both insert the
 * lock row, after which knex reports "already locked" forever (its lock is "update the one row where
 * is_locked = 0"). So on PostgreSQL every migrator first takes a transaction-scoped advisory lock,
 * which waits instead of failing and is released by the server when its holder dies; holding it, a
 * taken or duplicated knex lock can only be left over, and is repaired. SQLite is one machine's file:
 * openers in one process take turns, and another process that holds knex's lock is waited for.
 */
export async function migrateToLatest(
  knex: Knex,
  { migrations, tableName }: { migrations: readonly NamedMigration[]; tableName: string },
): Promise<void> {
  const config = { migrationSource: new ListedMigrations(migrations), tableName };
  if (knex.client.config.client === 'pg') {
    await knex.transaction(async (trx) => {
      await trx.raw(`set local lock_timeout = '${MIGRATION_LOCK_WAIT_MS}ms'`);
      await trx.raw(`select pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || '.' || ?))`, [tableName]);
      await releaseLeftoverKnexLock(knex, tableName);
      await knex.migrate.latest(config);
    });
    return;
  }
  const file = (knex.client.config.connection as { filename: string }).filename;
  await inTurn(path.resolve(file), () => retryWhileLocked(() => knex.migrate.latest(config)));
}

const MIGRATION_LOCK_WAIT_MS = 60_000;

/** Called only while holding the advisory lock, so no migration of ours can be running. */
async function releaseLeftoverKnexLock(knex: Knex, tableName: string): Promise<void> {
  const lockTable = `${tableName}_lock`; // knex's name for its lock table
  if (!(await knex.schema.hasTable(lockTable))) return;
  const rows: Array<{ index: number; is_locked: number }> = await knex(lockTable).select('index', 'is_locked').orderBy('index');
  if (rows.length === 1 && Number(rows[0].is_locked) === 0) return;
  knex.client.logger.warn?.(`releasing the leftover migration lock in ${lockTable} (${rows.length} rows, taken by a process that is gone)`);
  await knex(lockTable).whereNot('index', rows[0]?.index ?? -1).delete();
  if (rows.length === 0) await knex(lockTable).insert({ is_locked: 0 });
  else await knex(lockTable).update({ is_locked: 0 });
}

const turns = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier call of this process for the same database file has settled. */
function inTurn<T>(file: string, work: () => Promise<T>): Promise<T> {
  const result = (turns.get(file) ?? Promise.resolve()).then(work, work);
  const settled = result.catch(() => undefined);
  turns.set(file, settled);
  void settled.then(() => turns.get(file) === settled && turns.delete(file));
  return result;
}

async function retryWhileLocked(migrate: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate();
      return;
    } catch (err) {
      if (Date.now() >= deadline || !isConcurrentMigration(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)));
    }
  }
}

function isConcurrentMigration(err: unknown): boolean {
  const { name, message } = (err ?? {}) as { name?: string; message?: string };
  // MigrationLocked: another process holds knex's lock; "already exists": two processes created
  // the bookkeeping tables at the same moment.
  return name === 'MigrationLocked' || /already exists/i.test(message ?? '');
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
