/**
 * The refinement's outcome beside the concept: what the refiner applied and what it did not, as
 * JSON ({ status, applied, notApplied }). Null on concepts stored before outcomes were kept.
 */
import type { Knex } from 'knex';
import { REFINED_CONCEPTS_TABLE } from './0001-create-refined-concepts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable(REFINED_CONCEPTS_TABLE, (table) => {
    // Text on both databases: read back as written, and SQLite's `json` type name would get NUMERIC affinity.
    table.text('outcome');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(REFINED_CONCEPTS_TABLE, (table) => {
    table.dropColumn('outcome');
  });
}
