/** The gateway's database: the same one the concept store uses (PostgreSQL or SQLite), its own tables. */
import type { Knex } from 'knex';
import { connectDatabase, type DatabaseConfig } from '../../adapters/concept-store/knex-concept-store';
import { migrateGatewayTables } from './migrations';

export async function openGatewayDatabase(database: DatabaseConfig, options: { log?: Knex.Logger } = {}): Promise<Knex> {
  const knex = await connectDatabase(database, options);
  try {
    await migrateGatewayTables(knex);
  } catch (err) {
    await knex.destroy();
    throw err;
  }
  return knex;
}
