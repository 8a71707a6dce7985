/** Who owns which refinement, with the start's Idempotency-Key and a cache of its status. */
import type { Knex } from 'knex';

export const OWNERSHIP_TABLE = 'gateway_refinements';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable(OWNERSHIP_TABLE, (table) => {
    table.text('task_id').primary();
    table.text('user_id').notNullable();
    // (user, Idempotency-Key) → task id: a retried start finds the refinement its first try made.
    table.text('idempotency_key');
    // What the first request asked for, so the same key with a different request is refused.
    table.text('request_fingerprint');
    // A cache of the workflow's status: written 'running', moved on when a read sees the end.
    table.text('status').notNullable().defaultTo('running');
    // ISO-8601 UTC text written by the gateway: sorts the same on both databases, keeps milliseconds.
    table.text('created_at').notNullable();
    table.text('finished_at');
    table.unique(['user_id', 'idempotency_key']);
    table.index(['user_id', 'created_at', 'task_id']);
    table.index(['user_id', 'status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(OWNERSHIP_TABLE);
}
