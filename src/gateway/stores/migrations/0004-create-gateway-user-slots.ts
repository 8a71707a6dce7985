/** One row per user that has started a refinement: the lock that serialises that user's starts (OwnershipStore.claimWithinCap). */
import type { Knex } from 'knex';

export const USER_SLOTS_TABLE = 'gateway_user_slots';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable(USER_SLOTS_TABLE, (table) => {
    table.text('user_id').primary();
    // Written by every claim: the write is what takes the lock (a row lock on PostgreSQL, the
    // database's write lock on SQLite), so the count that follows cannot race another claim.
    table.text('last_claim_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable(USER_SLOTS_TABLE);
}
