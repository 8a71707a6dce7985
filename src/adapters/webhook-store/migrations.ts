/** The webhook store's tables, with a knex bookkeeping table of their own. Append only. */
import type { Knex } from 'knex';
import type { NamedMigration } from '../database/knex-database';

export const WEBHOOK_ENDPOINTS_TABLE = 'webhook_endpoints';
export const WEBHOOK_DELIVERIES_TABLE = 'webhook_deliveries';
export const WEBHOOK_ATTEMPTS_TABLE = 'webhook_delivery_attempts';
export const WEBHOOK_STORE_MIGRATIONS_TABLE = 'webhook_store_migrations';

const createWebhookTables: Knex.Migration = {
  async up(knex) {
    await knex.schema.createTable(WEBHOOK_ENDPOINTS_TABLE, (table) => {
      table.text('id').primary();
      table.text('user_id').notNullable();
      table.text('url').notNullable();
      table.text('kind').notNullable();
      table.text('task_id');
      table.text('description').notNullable().defaultTo('');
      // AES-256-GCM under WEBHOOK_SECRET_KEY (secret-box.ts), never the secret itself.
      table.text('sealed_secret').notNullable();
      // ISO-8601 UTC text, as the gateway's tables: same ordering on both databases, milliseconds kept.
      table.text('created_at').notNullable();
      table.text('disabled_at');
      table.text('disabled_reason');
      table.index(['user_id', 'kind']);
    });
    await knex.schema.createTable(WEBHOOK_DELIVERIES_TABLE, (table) => {
      table.text('endpoint_id').notNullable();
      table.text('message_id').notNullable();
      table.text('task_id').notNullable();
      table.text('event_type').notNullable();
      table.text('body').notNullable();
      table.text('status').notNullable();
      table.integer('attempts').notNullable().defaultTo(0);
      table.integer('last_status_code');
      table.text('last_error');
      table.text('last_attempt_at');
      table.text('created_at').notNullable();
      table.primary(['endpoint_id', 'message_id']);
      table.index(['endpoint_id', 'created_at']);
    });
    await knex.schema.createTable(WEBHOOK_ATTEMPTS_TABLE, (table) => {
      table.increments('id');
      table.text('endpoint_id').notNullable();
      table.text('message_id').notNullable();
      table.integer('attempt').notNullable();
      table.integer('status_code');
      table.text('error');
      table.text('outcome').notNullable();
      table.text('at').notNullable();
      table.integer('duration_ms').notNullable();
      table.index(['endpoint_id', 'message_id', 'attempt']);
    });
  },
  async down(knex) {
    await knex.schema.dropTable(WEBHOOK_ATTEMPTS_TABLE);
    await knex.schema.dropTable(WEBHOOK_DELIVERIES_TABLE);
    await knex.schema.dropTable(WEBHOOK_ENDPOINTS_TABLE);
  },
};

export const WEBHOOK_STORE_MIGRATIONS: readonly NamedMigration[] = [{ name: '0001-create-webhook-tables', migration: createWebhookTables }];
