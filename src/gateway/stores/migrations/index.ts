/**
 * The gateway's own tables, with their own knex bookkeeping table: the gateway owns who-owns-what and
 * API keys, the concept store owns concepts, and either can change its schema without the other.
 */
import type { NamedMigration } from '../../../adapters/database/knex-database';
import * as createGatewayRefinements from './0001-create-gateway-refinements';
import * as createGatewayApiKeys from './0002-create-gateway-api-keys';
import * as addGatewayRefinementRequests from './0003-add-gateway-refinement-requests';
import * as createGatewayUserSlots from './0004-create-gateway-user-slots';
import * as createErasures from './0005-create-erasures';

export { OWNERSHIP_TABLE } from './0001-create-gateway-refinements';
export { API_KEYS_TABLE } from './0002-create-gateway-api-keys';
export { USER_SLOTS_TABLE } from './0004-create-gateway-user-slots';
export { ERASURES_TABLE } from './0005-create-erasures';

export const GATEWAY_MIGRATIONS_TABLE = 'gateway_migrations';

/**
 * Append only, in order. Never rename an entry or the table above: they are what knex has recorded
 * in every database migrated so far (see NamedMigration). Files may move; these names stay.
 */
export const GATEWAY_MIGRATIONS: readonly NamedMigration[] = [
  { name: '0001-create-gateway-refinements', migration: createGatewayRefinements },
  { name: '0002-create-gateway-api-keys', migration: createGatewayApiKeys },
  { name: '0003-add-gateway-refinement-requests', migration: addGatewayRefinementRequests },
  { name: '0004-create-gateway-user-slots', migration: createGatewayUserSlots },
  { name: '0005-create-erasures', migration: createErasures },
];
