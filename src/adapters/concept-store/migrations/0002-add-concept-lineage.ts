/**
 * Concept lineage: a concept refined from a stored concept records its parent and the root of its
 * lineage. No foreign key on the parent: deleting a parent keeps its children (and their pointer to
 * it), and `parent_deleted` says the pointer now leads nowhere.
 */
import type { Knex } from 'knex';
import { REFINED_CONCEPTS_TABLE } from './0001-create-refined-concepts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable(REFINED_CONCEPTS_TABLE, (table) => {
    table.text('parent_concept_id');
    table.text('root_concept_id');
    table.boolean('parent_deleted').notNullable().defaultTo(false);
  });
  // Every concept stored before lineage existed started from a URL or an upload: it is its own root.
  await knex(REFINED_CONCEPTS_TABLE).whereNull('root_concept_id').update({ root_concept_id: knex.ref('id') });
  await knex.schema.alterTable(REFINED_CONCEPTS_TABLE, (table) => {
    table.index(['parent_concept_id']);
    // Listing: a user's concepts newest first, optionally of one lineage.
    table.index(['user_id', 'created_at', 'id']);
    table.index(['user_id', 'root_concept_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(REFINED_CONCEPTS_TABLE, (table) => {
    table.dropIndex(['parent_concept_id']);
    table.dropIndex(['user_id', 'created_at', 'id']);
    table.dropIndex(['user_id', 'root_concept_id', 'created_at']);
    table.dropColumn('parent_concept_id');
    table.dropColumn('root_concept_id');
    table.dropColumn('parent_deleted');
  });
}
