/**
 * Everything the database holds about one user, across the stores that share it (concepts, webhooks,
 * the gateway's tables), as erasure needs it: which tasks and endpoints are theirs, and removing
 * their rows. A small interface of its own so the worker's erasure activities need not know the
 * gateway's stores (the worker does not import gateway code).
 */
import type { ErasureCounts } from './erasure-counts';
import type { ErasureRecord } from './erasure-log';

export type RowCounts = Pick<
  ErasureCounts,
  'conceptRows' | 'lineageLinksDetached' | 'webhookEndpoints' | 'webhookDeliveries' | 'apiKeys' | 'refinementRecords' | 'idempotencyKeys'
>;

export interface UserDataStore {
  /** Every task id a row associates with the user (concepts, ownership rows, callbacks, deliveries to their endpoints), sorted. */
  taskIdsOf(userId: string): Promise<string[]>;
  /** The user's webhook endpoints, registered ones and per-request callbacks, sorted. */
  webhookEndpointIdsOf(userId: string): Promise<string[]>;
  /**
   * Removes every row of the user, in one transaction: concepts (other users' children of them keep
   * their parent id and are marked parent-deleted), webhook endpoints with their deliveries and
   * attempts, API keys, ownership rows (idempotency keys and status cache with them) and the user's
   * start-lock row. A second call finds nothing and returns zeros.
   */
  eraseRows(userId: string): Promise<RowCounts>;
  /** Writes the erasure's audit row (status and counts so far); idempotent per erasure id. */
  recordErasure(record: ErasureRecord): Promise<void>;
  close(): Promise<void>;
}
