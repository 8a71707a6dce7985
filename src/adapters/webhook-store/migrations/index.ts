/**
 * The webhook store's migrations, recorded in a bookkeeping table of its own so it can share a
 * database with the concept store and the gateway without either seeing the other's entries as missing.
 */
import type { NamedMigration } from '../../database/knex-database';
import * as createWebhookTables from './0001-create-webhook-tables';

export { WEBHOOK_ATTEMPTS_TABLE, WEBHOOK_DELIVERIES_TABLE, WEBHOOK_ENDPOINTS_TABLE } from './0001-create-webhook-tables';

export const WEBHOOK_STORE_MIGRATIONS_TABLE = 'webhook_store_migrations';

/**
 * Append only, in order. Never rename an entry or the table above: they are what knex has recorded
 * in every database migrated so far (see NamedMigration). Files may move; these names stay.
 */
export const WEBHOOK_STORE_MIGRATIONS: readonly NamedMigration[] = [{ name: '0001-create-webhook-tables', migration: createWebhookTables }];
