/**
 * ConceptStore on knex: PostgreSQL in production, SQLite (better-sqlite3) for a single machine.
 * The same schema, queries and error mapping serve both; where the dialects differ the code says so.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { StorageUnavailableError } from '../../errors';
import { classifyDatabaseError } from '../database/database-errors';
import { connectDatabase, openMigratedDatabase, type DatabaseConfig } from '../database/knex-database';
import { decodeCursor, encodeCursor } from './concept-cursor';
import { lineageOf } from './concept-lineage';
import { fromRow, toRow, UUID_PATTERN, type RefinedConceptRow } from './concept-rows';
import type { ConceptListQuery, ConceptPage, ConceptStore, RefinedConcept, RefinedConceptInput } from './concept-store';
import { CONCEPT_STORE_MIGRATIONS, CONCEPT_STORE_MIGRATIONS_TABLE } from './migrations';
import { REFINED_CONCEPTS_TABLE } from './migrations/0001-create-refined-concepts';

export { connectDatabase, type DatabaseConfig };

export interface ConceptStoreOptions {
  /**
   * Where knex's own warnings go (e.g. a pino logger); default: the console. They repeat what the
   * thrown errors already say, so callers with a logger usually route them there.
   */
  log?: Knex.Logger;
}

/** Opens the database, brings the schema up to date and returns a ready store. */
export async function openConceptStore(
  db: DatabaseConfig,
  options: ConceptStoreOptions = {},
): Promise<KnexConceptStore> {
  const knex = await openMigratedDatabase(db, { migrations: CONCEPT_STORE_MIGRATIONS, tableName: CONCEPT_STORE_MIGRATIONS_TABLE, ...options }).catch(
    (err: unknown) => {
      throw classifyDatabaseError(err, 'migrate the concept store');
    },
  );
  return new KnexConceptStore(knex);
}

export class KnexConceptStore implements ConceptStore {
  constructor(private readonly knex: Knex) {}

  async storeConcept(concept: RefinedConceptInput): Promise<{ id: string; created: boolean }> {
    const candidateId = randomUUID();
    const row = {
      ...toRow(candidateId, concept),
      ...(await lineageOf(candidateId, concept.parentConceptId, (parentId) =>
        this.run('read the parent concept', () => this.table().where({ id: parentId }).first('id', 'root_concept_id')),
      )),
    };
    // ON CONFLICT DO NOTHING, then read back: whichever insert won (ours, an earlier attempt's, or a
    // concurrent one's), every caller returns that row's id. PostgreSQL makes the losing insert wait
    // for the winner to commit, so the read below always sees it.
    await this.run('store the refined concept', () => this.table().insert(row).onConflict('task_id').ignore());
    const stored = await this.run('read back the refined concept', () =>
      this.table().where({ task_id: concept.taskId }).first('id'),
    );
    if (!stored) {
      // Only if the row was deleted between the two statements: trying again will insert it afresh.
      throw new StorageUnavailableError(`refined concept for task ${concept.taskId} vanished right after insert`);
    }
    return { id: stored.id, created: stored.id === candidateId };
  }

  async findById(id: string): Promise<RefinedConcept | undefined> {
    // Not a UUID means no such row; asking PostgreSQL would fail on the uuid cast instead.
    if (!UUID_PATTERN.test(id)) return undefined;
    const row = await this.run('find a refined concept', () => this.table().where({ id: id.toLowerCase() }).first());
    return row && fromRow(row);
  }

  async findByTaskId(taskId: string): Promise<RefinedConcept | undefined> {
    const row = await this.run('find a refined concept', () => this.table().where({ task_id: taskId }).first());
    return row && fromRow(row);
  }

  async countByTaskId(taskId: string): Promise<number> {
    const result = await this.run('count refined concepts', () =>
      this.table().where({ task_id: taskId }).count({ n: '*' }).first(),
    );
    // PostgreSQL returns count(*) as a bigint string.
    return Number(result?.n ?? 0);
  }

  async listByUser(userId: string, { rootConceptId, cursor, limit }: ConceptListQuery): Promise<ConceptPage> {
    const query = this.table().where({ user_id: userId });
    if (rootConceptId !== undefined) query.andWhere({ root_concept_id: rootConceptId.toLowerCase() });
    // PostgreSQL keeps microseconds, a cursor milliseconds: order and compare at the cursor's precision.
    const createdAt = this.knex.client.dialect === 'postgresql' ? this.knex.raw(`date_trunc('milliseconds', created_at)`) : this.knex.ref('created_at');
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      query.andWhere((q) =>
        q.where(createdAt, '<', after.createdAt).orWhere((same) => same.where(createdAt, '=', after.createdAt).andWhere('id', '<', after.id)),
      );
    }
    const rows = await this.run('list refined concepts', () =>
      query.orderBy([{ column: createdAt as unknown as string, order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1),
    );
    const items = (rows as RefinedConceptRow[]).slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async findChildren(parentId: string): Promise<RefinedConcept[]> {
    if (!UUID_PATTERN.test(parentId)) return [];
    const rows = await this.run('find child concepts', () =>
      this.table().where({ parent_concept_id: parentId.toLowerCase() }).orderBy([{ column: 'created_at' }, { column: 'id' }]),
    );
    return (rows as RefinedConceptRow[]).map(fromRow);
  }

  async deleteConcept(id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false;
    const key = id.toLowerCase();
    return this.run('delete a refined concept', () =>
      this.knex.transaction(async (trx) => {
        const removed = await trx<RefinedConceptRow>(REFINED_CONCEPTS_TABLE).where({ id: key }).delete();
        await trx<RefinedConceptRow>(REFINED_CONCEPTS_TABLE).where({ parent_concept_id: key }).update({ parent_deleted: true });
        return removed > 0;
      }),
    );
  }

  async ping(): Promise<void> {
    await this.run('reach the database', () => this.knex.raw('select 1'));
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }

  private table() {
    return this.knex<RefinedConceptRow>(REFINED_CONCEPTS_TABLE);
  }

  private async run<T>(action: string, query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw classifyDatabaseError(err, action);
    }
  }
}
