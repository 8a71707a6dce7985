/** Writes an erasure's audit row: who asked, when, how far it got, counts per kind. Never content. */
import type { ErasureCounts } from '../adapters/user-data/erasure-counts';
import type { ErasureRecord } from '../adapters/user-data/erasure-log';
import type { UserDataStore } from '../adapters/user-data/user-data-store';

export type { ErasureCounts, ErasureRecord };

export function createRecordErasureAudit(deps: { userData: UserDataStore }) {
  return async function recordErasureAudit(record: ErasureRecord): Promise<void> {
    await deps.userData.recordErasure(record);
  };
}
