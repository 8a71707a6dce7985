/**
 * The gateway's own tables, with their own knex bookkeeping table: the gateway owns who-owns-what and
 * API keys, the concept store owns concepts, and either can change its schema without the other.
 */
import type { Knex } from 'knex';
import type { NamedMigration } from '../adapters/database/knex-database';

export const OWNERSHIP_TABLE = 'gateway_refinements';
export const API_KEYS_TABLE = 'gateway_api_keys';
export const GATEWAY_MIGRATIONS_TABLE = 'gateway_migrations';
/** One row per user that has started a refinement: the lock that serialises that user's starts. */
export const USER_SLOTS_TABLE = 'gateway_user_slots';

const createOwnership: Knex.Migration = {
  async up(knex) {
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
  },
  async down(knex) {
    await knex.schema.dropTable(OWNERSHIP_TABLE);
  },
};

const createApiKeys: Knex.Migration = {
  async up(knex) {
    await knex.schema.createTable(API_KEYS_TABLE, (table) => {
      table.text('id').primary();
      table.text('user_id').notNullable().index();
      // sha256 of the whole key, hex: looked up by equality, so it is unique and indexed.
      table.text('key_hash').notNullable().unique();
      table.text('label').notNullable().defaultTo('');
      table.text('created_at').notNullable();
      table.text('revoked_at');
    });
  },
  async down(knex) {
    await knex.schema.dropTable(API_KEYS_TABLE);
  },
};

/**
 * What the caller asked for, kept beside the ownership row so the owner can see it again (the web
 * page's history and before/after): the prompt and descriptions, and where the original came from.
 * Rows from before this migration have nulls.
 */
const addRequestColumns: Knex.Migration = {
  async up(knex) {
    await knex.schema.alterTable(OWNERSHIP_TABLE, (table) => {
      table.text('refinement_prompt');
      table.text('logo_description');
      table.text('theme_description');
      // JSON array of strings.
      table.text('preserve_aspects');
      // The caller's URL; null when the original was uploaded (it is then at uploadKey(task_id)).
      table.text('original_image_url');
      table.boolean('uploaded');
    });
  },
  async down(knex) {
    await knex.schema.alterTable(OWNERSHIP_TABLE, (table) => {
      table.dropColumns('refinement_prompt', 'logo_description', 'theme_description', 'preserve_aspects', 'original_image_url', 'uploaded');
    });
  },
};

/** One row per user, written by every claim: see OwnershipStore.claimWithinCap. */
const createUserSlots: Knex.Migration = {
  async up(knex) {
    await knex.schema.createTable(USER_SLOTS_TABLE, (table) => {
      table.text('user_id').primary();
      // Written by every claim: the write is what takes the lock (a row lock on PostgreSQL, the
      // database's write lock on SQLite), so the count that follows cannot race another claim.
      table.text('last_claim_at').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable(USER_SLOTS_TABLE);
  },
};

/** Append only; never rename a shipped migration (the name is what the bookkeeping table records). */
export const GATEWAY_MIGRATIONS: readonly NamedMigration[] = [
  { name: '0001-create-gateway-refinements', migration: createOwnership },
  { name: '0002-create-gateway-api-keys', migration: createApiKeys },
  { name: '0003-add-gateway-refinement-requests', migration: addRequestColumns },
  { name: '0004-create-gateway-user-slots', migration: createUserSlots },
];
