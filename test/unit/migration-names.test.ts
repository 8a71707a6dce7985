/**
 * Every store's migrations keep the names and the bookkeeping table knex has recorded them under in
 * databases already migrated: a renamed entry would stop knex at start-up (a recorded migration gone
 * missing) and run again under its new name. Adding a migration adds a line here; nothing else changes.
 */
import { CONCEPT_STORE_MIGRATIONS, CONCEPT_STORE_MIGRATIONS_TABLE } from '../../src/adapters/concept-store/migrations';
import { WEBHOOK_STORE_MIGRATIONS, WEBHOOK_STORE_MIGRATIONS_TABLE } from '../../src/adapters/webhook-store/migrations';
import { GATEWAY_MIGRATIONS, GATEWAY_MIGRATIONS_TABLE } from '../../src/gateway/stores/migrations';

const recorded = [
  {
    store: 'concept store',
    table: CONCEPT_STORE_MIGRATIONS_TABLE,
    migrations: CONCEPT_STORE_MIGRATIONS,
    expected: { table: 'refined_concepts_migrations', names: ['0001-create-refined-concepts', '0002-add-concept-lineage', '0003-add-refinement-outcome'] },
  },
  {
    store: 'webhook store',
    table: WEBHOOK_STORE_MIGRATIONS_TABLE,
    migrations: WEBHOOK_STORE_MIGRATIONS,
    expected: { table: 'webhook_store_migrations', names: ['0001-create-webhook-tables'] },
  },
  {
    store: 'gateway',
    table: GATEWAY_MIGRATIONS_TABLE,
    migrations: GATEWAY_MIGRATIONS,
    expected: {
      table: 'gateway_migrations',
      names: ['0001-create-gateway-refinements', '0002-create-gateway-api-keys', '0003-add-gateway-refinement-requests', '0004-create-gateway-user-slots', '0005-create-erasures'],
    },
  },
];

test.each(recorded)('the $store keeps its recorded migration names and table, in order', ({ table, migrations, expected }) => {
  expect(table).toBe(expected.table);
  // Shipped names first, unchanged and in order; new migrations may only follow them.
  expect(migrations.slice(0, expected.names.length).map((m) => m.name)).toEqual(expected.names);
});

test.each(recorded)('every $store migration has an up and a down', ({ migrations }) => {
  for (const { name, migration } of migrations) {
    expect([name, typeof migration.up, typeof migration.down]).toEqual([name, 'function', 'function']);
  }
});
