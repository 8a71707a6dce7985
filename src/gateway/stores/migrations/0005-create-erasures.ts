/**
 * The audit of erasures: who asked (the user themself or an operator), when, whose data, how it ended
 * and how much of each kind was removed. Never content: no prompt, URL, key or task id. The subject's
 * user id stays, because an erasure record that cannot say whose data it removed proves nothing
 * (docs/erasure.md).
 */
import type { Knex } from 'knex';

export const ERASURES_TABLE = 'erasures';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable(ERASURES_TABLE, (table) => {
    // The erasure workflow's run id: one row per run, written by whoever started it and by the run.
    table.text('id').primary();
    table.text('subject_user_id').notNullable();
    // 'user' (the subject, through the API) or 'operator' (the admin command).
    table.text('requested_by').notNullable();
    // The operator's login for an operator's erasure; null when the user asked.
    table.text('operator');
    // 'requested' | 'running' | 'completed' | 'failed'
    table.text('status').notNullable();
    // JSON object of counts per kind (ErasureCounts); numbers only.
    table.text('counts').notNullable();
    // ISO-8601 UTC text, as the gateway's other tables.
    table.text('requested_at').notNullable();
    table.text('finished_at');
    table.index(['subject_user_id', 'requested_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(ERASURES_TABLE);
}
