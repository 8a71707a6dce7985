/** The gateway's database: the same one the concept store uses (PostgreSQL or SQLite), its own tables. */
import type { Knex } from 'knex';
import { connectDatabase, migrateToLatest, type DatabaseConfig } from '../../adapters/database/knex-database';
import { GATEWAY_MIGRATIONS, GATEWAY_MIGRATIONS_TABLE } from './migrations';

export async function openGatewayDatabase(database: DatabaseConfig, options: { log?: Knex.Logger } = {}): Promise<Knex> {
  const knex = await connectDatabase(database, options);
  try {
    await migrateToLatest(knex, { migrations: GATEWAY_MIGRATIONS, tableName: GATEWAY_MIGRATIONS_TABLE });
  } catch (err) {
    await knex.destroy();
    throw err;
  }
  return knex;
}
