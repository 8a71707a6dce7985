/**
 * The user's rows in the database, in one transaction (see UserDataStore.eraseRows): the last data
 * step, because the rows are how the earlier steps find the user's tasks and endpoints. A retry after
 * the transaction committed finds nothing and returns zeros; the counts of the committed attempt were
 * already reported, or are what the audit shows as left to erase.
 */
import type { Logger } from 'pino';
import type { RowCounts, UserDataStore } from '../adapters/user-data/user-data-store';

export interface EraseUserRowsInput {
  userId: string;
}

export type { RowCounts };

export function createEraseUserRows(deps: { userData: UserDataStore; logger: Logger }) {
  return async function eraseUserRows(input: EraseUserRowsInput): Promise<RowCounts> {
    const counts = await deps.userData.eraseRows(input.userId);
    deps.logger.info({ activity: 'eraseUserRows', ...counts }, 'rows of the user erased');
    return counts;
  };
}
