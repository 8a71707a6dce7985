/**
 * The concept store's migrations. It keeps its own bookkeeping table so it can share a database with
 * anything else that uses knex migrations without either side seeing the other's entries as missing.
 */
import type { NamedMigration } from '../../database/knex-database';
import * as createRefinedConcepts from './0001-create-refined-concepts';
import * as addConceptLineage from './0002-add-concept-lineage';
import * as addRefinementOutcome from './0003-add-refinement-outcome';

export const CONCEPT_STORE_MIGRATIONS_TABLE = 'refined_concepts_migrations';

/**
 * Append only, in order. Never rename an entry or the table above: they are what knex has recorded
 * in every database migrated so far (see NamedMigration). Files may move; these names stay.
 */
export const CONCEPT_STORE_MIGRATIONS: readonly NamedMigration[] = [
  { name: '0001-create-refined-concepts', migration: createRefinedConcepts },
  { name: '0002-add-concept-lineage', migration: addConceptLineage },
  { name: '0003-add-refinement-outcome', migration: addRefinementOutcome },
];
