/**
 * The concept store's migrations, listed in code rather than discovered on disk: static imports
 * work the same under tsx/jest (.ts) and compiled output (.js), and bundling cannot lose a file.
 */
import type { Knex } from 'knex';
import * as createRefinedConcepts from './0001-create-refined-concepts';

interface NamedMigration {
  /** Recorded in the migrations table: never rename a migration once it has shipped. */
  name: string;
  migration: Knex.Migration;
}

/** Append only, in order. */
const MIGRATIONS: readonly NamedMigration[] = [{ name: '0001-create-refined-concepts', migration: createRefinedConcepts }];

/**
 * The store keeps its own bookkeeping table so it can share a database with anything else that
 * uses knex migrations without either side seeing the other's entries as "missing files".
 */
export const CONCEPT_STORE_MIGRATIONS_TABLE = 'refined_concepts_migrations';

export class ConceptStoreMigrationSource implements Knex.MigrationSource<NamedMigration> {
  async getMigrations(): Promise<NamedMigration[]> {
    return [...MIGRATIONS];
  }

  getMigrationName(entry: NamedMigration): string {
    return entry.name;
  }

  async getMigration(entry: NamedMigration): Promise<Knex.Migration> {
    return entry.migration;
  }
}
