import type { Knex } from 'knex';

export const REFINED_CONCEPTS_TABLE = 'refined_concepts';

export async function up(knex: Knex): Promise<void> {
  const onPostgres = knex.client.dialect === 'postgresql';
  await knex.schema.createTable(REFINED_CONCEPTS_TABLE, (table) => {
    // Generated in JS (crypto.randomUUID) so both databases behave alike; `uuid` on PostgreSQL, char(36) on SQLite.
    table.uuid('id').primary();
    // The idempotency key: a retried activity must find the row its first attempt wrote.
    table.text('task_id').notNullable().unique();
    table.text('user_id').notNullable().index();
    table.text('logo_description').notNullable();
    table.text('theme_description').notNullable();
    table.text('image_path').notNullable();
    table.text('image_url').notNullable();
    // Plain text on SQLite: its `json` type name would get NUMERIC affinity.
    if (onPostgres) table.json('color_palettes').notNullable();
    else table.text('color_palettes').notNullable();
    table.boolean('is_anonymous').notNullable();
    table.text('refinement_prompt').notNullable();
    table.text('original_image_url').notNullable();
    // SQLite's CURRENT_TIMESTAMP has whole seconds and no zone; store an ISO-8601 UTC string with milliseconds instead.
    const now = onPostgres ? knex.fn.now() : knex.raw(`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(now);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(REFINED_CONCEPTS_TABLE);
}
