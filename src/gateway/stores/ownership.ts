/**
 * Who owns which refinement, in the gateway's table: written before a workflow starts, checked on
 * every read, stream, list and cancel. The row also caches the refinement's status: 'running' at
 * first, moved on when the gateway sees the end (a read, a stream, or the reconcile below). Listing by
 * status and the running cap read this table, not Temporal's visibility store, because visibility is
 * eventually consistent (a refinement started a moment ago may not be counted yet, which would let a
 * burst of starts through the cap) and this table is already the authority for ownership and order.
 */
import type { Knex } from 'knex';
import type { RefinementRequest, RefinementStatus } from '../../workflows/types';
import { OWNERSHIP_TABLE, USER_SLOTS_TABLE } from './migrations';

export interface OwnershipRow {
  task_id: string;
  user_id: string;
  idempotency_key: string | null;
  request_fingerprint: string | null;
  status: RefinementStatus;
  created_at: string;
  finished_at: string | null;
  /** The request as the caller sent it (null on rows made before these columns existed). */
  refinement_prompt: string | null;
  logo_description: string | null;
  theme_description: string | null;
  preserve_aspects: string | null;
  original_image_url: string | null;
  uploaded: boolean | number | null;
}

/** What a start asked for, recorded with the claim. */
export interface ClaimedRequest extends RefinementRequest {
  /** The caller's URL, or undefined when the original was uploaded. */
  originalImageUrl?: string;
  uploaded: boolean;
}

export interface ListPage {
  items: OwnershipRow[];
  nextCursor: string | null;
}

export class OwnershipStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Claims a task id for a user if fewer than `maxRunning` of theirs are marked running; false when
   * the cap is reached. Atomic across gateway instances: the user's slot row is written first, which
   * locks it until the transaction ends, so concurrent claims of one user count one after another
   * (the database is the only state the instances share). Throws the database's unique violation
   * when (user, idempotency key) is already taken.
   */
  async claimWithinCap(
    row: { taskId: string; userId: string; idempotencyKey?: string; fingerprint?: string; request?: ClaimedRequest },
    maxRunning: number,
  ): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const now = new Date().toISOString();
      await trx(USER_SLOTS_TABLE).insert({ user_id: row.userId, last_claim_at: now }).onConflict('user_id').merge(['last_claim_at']);
      const counted = await trx<OwnershipRow>(OWNERSHIP_TABLE).where({ user_id: row.userId, status: 'running' }).count({ n: '*' }).first();
      if (Number(counted?.n ?? 0) >= maxRunning) return false;
      const request = row.request;
      await trx<OwnershipRow>(OWNERSHIP_TABLE).insert({
        refinement_prompt: request?.refinementPrompt ?? null,
        logo_description: request?.logoDescription ?? null,
        theme_description: request?.themeDescription ?? null,
        preserve_aspects: request ? JSON.stringify(request.preserveAspects ?? []) : null,
        original_image_url: request?.originalImageUrl ?? null,
        uploaded: request ? request.uploaded : null,
        task_id: row.taskId,
        user_id: row.userId,
        idempotency_key: row.idempotencyKey ?? null,
        request_fingerprint: row.fingerprint ?? null,
        status: 'running',
        created_at: now,
        finished_at: null,
      });
      return true;
    });
  }

  async release(taskId: string): Promise<void> {
    await this.table().where({ task_id: taskId }).delete();
  }

  /** The row only if this user owns it: someone else's task and an unknown one look the same. */
  async find(userId: string, taskId: string): Promise<OwnershipRow | undefined> {
    return this.table().where({ task_id: taskId, user_id: userId }).first();
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<OwnershipRow | undefined> {
    return this.table().where({ user_id: userId, idempotency_key: key }).first();
  }

  async running(userId: string, limit: number): Promise<OwnershipRow[]> {
    return this.table().where({ user_id: userId, status: 'running' }).orderBy('created_at', 'asc').limit(limit);
  }

  /** Records the end once; a terminal status is never overwritten. */
  async markFinished(taskId: string, status: Exclude<RefinementStatus, 'running'>, finishedAt: string | null): Promise<void> {
    await this.table()
      .where({ task_id: taskId, status: 'running' })
      .update({ status, finished_at: finishedAt ?? new Date().toISOString() });
  }

  /** The uploaded original was deleted (with its concept): no link to it is handed out any more. */
  async forgetUploadedOriginal(userId: string, taskId: string): Promise<void> {
    await this.table().where({ task_id: taskId, user_id: userId }).update({ uploaded: false });
  }

  /** Newest first; the cursor is the (created_at, task_id) of the last row of the previous page. */
  async list(userId: string, { status, cursor, limit }: { status?: RefinementStatus; cursor?: string; limit: number }): Promise<ListPage> {
    const query = this.table().where({ user_id: userId });
    if (status) query.andWhere({ status });
    if (cursor) {
      const after = decodeCursor(cursor);
      query.andWhere((q) =>
        q.where('created_at', '<', after.createdAt).orWhere((same) => same.where('created_at', after.createdAt).andWhere('task_id', '<', after.taskId)),
      );
    }
    const rows = await query.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'task_id', order: 'desc' }]).limit(limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  private table() {
    return this.knex<OwnershipRow>(OWNERSHIP_TABLE);
  }
}

export class InvalidCursorError extends Error {}

function encodeCursor(row: OwnershipRow): string {
  return Buffer.from(JSON.stringify([row.created_at, row.task_id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; taskId: string } {
  try {
    const [createdAt, taskId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof taskId === 'string' && !Number.isNaN(Date.parse(createdAt))) return { createdAt, taskId };
  } catch {
    // fall through: any malformed cursor gets the same answer
  }
  throw new InvalidCursorError('cursor is not one this API returned');
}

export function isUniqueViolation(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) || /UNIQUE constraint failed/i.test(message ?? '');
}
