/** The gateway's database: the same one the concept store uses (PostgreSQL or SQLite), its own tables. */
import type { Knex } from 'knex';
import { openMigratedDatabase, type DatabaseConfig } from '../../adapters/database/knex-database';
import { GATEWAY_MIGRATIONS, GATEWAY_MIGRATIONS_TABLE } from './migrations';

export function openGatewayDatabase(database: DatabaseConfig, options: { log?: Knex.Logger } = {}): Promise<Knex> {
  return openMigratedDatabase(database, { migrations: GATEWAY_MIGRATIONS, tableName: GATEWAY_MIGRATIONS_TABLE, ...options });
}
