/** API keys for service callers: only each key's hash is stored. */
import type { Knex } from 'knex';

export const API_KEYS_TABLE = 'gateway_api_keys';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable(API_KEYS_TABLE, (table) => {
    table.text('id').primary();
    table.text('user_id').notNullable().index();
    // sha256 of the whole key, hex: looked up by equality, so it is unique and indexed.
    table.text('key_hash').notNullable().unique();
    table.text('label').notNullable().defaultTo('');
    table.text('created_at').notNullable();
    table.text('revoked_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(API_KEYS_TABLE);
}
