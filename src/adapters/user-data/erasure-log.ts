/**
 * The erasure audit rows (the `erasures` table, created by the gateway's migrations): written when an
 * erasure is requested, updated by the erasure run after each step, read by the status route and the
 * admin command. Numbers and the requester only; see the migration for why the subject's id stays.
 */
import type { Knex } from 'knex';
import { classifyDatabaseError } from '../database/database-errors';
import { completeCounts, noCounts, type ErasureCounts } from './erasure-counts';

/** Named here, created by the gateway's migration 0005-create-erasures (adapters stay below the gateway). */
export const ERASURES_TABLE = 'erasures';

export type ErasureStatus = 'requested' | 'running' | 'completed' | 'failed';
export type ErasureRequester = 'user' | 'operator';

export interface ErasureRecord {
  /** The erasure run's id. */
  id: string;
  subjectUserId: string;
  requestedBy: ErasureRequester;
  /** The operator's login, for an operator's erasure. */
  operator: string | null;
  status: ErasureStatus;
  counts: ErasureCounts;
  requestedAt: string;
  finishedAt: string | null;
}

interface ErasureRow {
  id: string;
  subject_user_id: string;
  requested_by: ErasureRequester;
  operator: string | null;
  status: ErasureStatus;
  counts: string;
  requested_at: string;
  finished_at: string | null;
}

export class ErasureLog {
  constructor(private readonly knex: Knex) {}

  /** The request, once per run: a repeated request that joined the same run changes nothing. */
  async requested(entry: { id: string; subjectUserId: string; requestedBy: ErasureRequester; operator?: string; requestedAt: string }): Promise<void> {
    await this.run('record an erasure request', () =>
      this.table()
        .insert(toRow({ ...entry, operator: entry.operator ?? null, status: 'requested', counts: noCounts(), finishedAt: null }))
        .onConflict('id')
        .ignore(),
    );
  }

  /** What the run has done so far, or how it ended; inserts the row when the requester could not. */
  async progressed(entry: Omit<ErasureRecord, 'operator'> & { operator?: string | null }): Promise<void> {
    const row = toRow({ ...entry, operator: entry.operator ?? null });
    await this.run('record the progress of an erasure', () =>
      this.table().insert(row).onConflict('id').merge(['status', 'counts', 'finished_at']),
    );
  }

  async find(id: string): Promise<ErasureRecord | undefined> {
    const row = await this.run('read an erasure', () => this.table().where({ id }).first());
    return row && fromRow(row);
  }

  /** The user's most recent erasure. */
  async latestFor(userId: string): Promise<ErasureRecord | undefined> {
    const row = await this.run('read the latest erasure of a user', () =>
      this.table().where({ subject_user_id: userId }).orderBy([{ column: 'requested_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first(),
    );
    return row && fromRow(row);
  }

  private table() {
    return this.knex<ErasureRow>(ERASURES_TABLE);
  }

  private async run<T>(action: string, query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw classifyDatabaseError(err, action);
    }
  }
}

function toRow(r: ErasureRecord): ErasureRow {
  return {
    id: r.id,
    subject_user_id: r.subjectUserId,
    requested_by: r.requestedBy,
    operator: r.operator,
    status: r.status,
    counts: JSON.stringify(completeCounts(r.counts)),
    requested_at: r.requestedAt,
    finished_at: r.finishedAt,
  };
}

function fromRow(row: ErasureRow): ErasureRecord {
  return {
    id: row.id,
    subjectUserId: row.subject_user_id,
    requestedBy: row.requested_by,
    operator: row.operator,
    status: row.status,
    counts: completeCounts(JSON.parse(row.counts) as Partial<ErasureCounts>),
    requestedAt: row.requested_at,
    finishedAt: row.finished_at,
  };
}
