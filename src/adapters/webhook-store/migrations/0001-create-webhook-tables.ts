/** Endpoints, their deliveries and each delivery's attempts. */
import type { Knex } from 'knex';

export const WEBHOOK_ENDPOINTS_TABLE = 'webhook_endpoints';
export const WEBHOOK_DELIVERIES_TABLE = 'webhook_deliveries';
export const WEBHOOK_ATTEMPTS_TABLE = 'webhook_delivery_attempts';

export async function up(knex: Knex): Promise<void> {
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
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(WEBHOOK_ATTEMPTS_TABLE);
  await knex.schema.dropTable(WEBHOOK_DELIVERIES_TABLE);
  await knex.schema.dropTable(WEBHOOK_ENDPOINTS_TABLE);
}
