/** UserDataStore on knex: the one database (PostgreSQL or SQLite) the stores and the gateway share. */
import type { Knex } from 'knex';
import { REFINED_CONCEPTS_TABLE } from '../concept-store/migrations/0001-create-refined-concepts';
import { connectDatabase, type DatabaseConfig } from '../database/knex-database';
import { classifyDatabaseError } from '../database/database-errors';
import { WEBHOOK_ATTEMPTS_TABLE, WEBHOOK_DELIVERIES_TABLE, WEBHOOK_ENDPOINTS_TABLE } from '../webhook-store/migrations';
import { ErasureLog, type ErasureRecord } from './erasure-log';
import type { RowCounts, UserDataStore } from './user-data-store';

/**
 * The gateway's tables, named here rather than imported: adapters stay below the gateway. The
 * gateway creates them; a database it never migrated simply has none of them, and none is erased.
 * test/pipeline/erasure.test.ts searches every table for the erased user, so a table added without
 * an entry here fails it.
 */
export const GATEWAY_USER_TABLES = {
  ownership: 'gateway_refinements',
  apiKeys: 'gateway_api_keys',
  userSlots: 'gateway_user_slots',
} as const;

/** Connects without migrating: the tables belong to the stores that create them. */
export async function openUserDataStore(db: DatabaseConfig, options: { log?: Knex.Logger } = {}): Promise<KnexUserDataStore> {
  return new KnexUserDataStore(await connectDatabase(db, options));
}

export class KnexUserDataStore implements UserDataStore {
  private readonly erasures: ErasureLog;

  constructor(private readonly knex: Knex) {
    this.erasures = new ErasureLog(knex);
  }

  async taskIdsOf(userId: string): Promise<string[]> {
    return this.run('list the tasks of a user', async () => {
      const endpointIds = this.knex(WEBHOOK_ENDPOINTS_TABLE).where({ user_id: userId }).select('id');
      const sources = [
        this.knex(REFINED_CONCEPTS_TABLE).where({ user_id: userId }).select('task_id'),
        this.knex(WEBHOOK_ENDPOINTS_TABLE).where({ user_id: userId }).whereNotNull('task_id').select('task_id'),
        this.knex(WEBHOOK_DELIVERIES_TABLE).whereIn('endpoint_id', endpointIds).select('task_id'),
      ];
      if (await this.hasTable(GATEWAY_USER_TABLES.ownership)) sources.push(this.knex(GATEWAY_USER_TABLES.ownership).where({ user_id: userId }).select('task_id'));
      const rows = (await Promise.all(sources)).flat() as Array<{ task_id: string }>;
      return [...new Set(rows.map((r) => r.task_id))].sort();
    });
  }

  async webhookEndpointIdsOf(userId: string): Promise<string[]> {
    return this.run('list the webhook endpoints of a user', async () => {
      const rows: Array<{ id: string }> = await this.knex(WEBHOOK_ENDPOINTS_TABLE).where({ user_id: userId }).select('id').orderBy('id');
      return rows.map((r) => r.id);
    });
  }

  async eraseRows(userId: string): Promise<RowCounts> {
    const [ownership, apiKeys, userSlots] = await Promise.all(Object.values(GATEWAY_USER_TABLES).map((t) => this.hasTable(t)));
    return this.run('erase the rows of a user', () =>
      this.knex.transaction(async (trx) => {
        const conceptIds = (await trx(REFINED_CONCEPTS_TABLE).where({ user_id: userId }).select('id')).map((r: { id: string }) => String(r.id));
        // Lineage of other users stays whole: their rows keep the parent's id, which now resolves to nothing.
        let lineageLinksDetached = 0;
        for (const chunk of chunks(conceptIds)) {
          lineageLinksDetached += await trx(REFINED_CONCEPTS_TABLE)
            .whereIn('parent_concept_id', chunk)
            .whereNot({ user_id: userId })
            .update({ parent_deleted: true });
        }
        const conceptRows = await trx(REFINED_CONCEPTS_TABLE).where({ user_id: userId }).delete();

        const endpointIds = trx(WEBHOOK_ENDPOINTS_TABLE).where({ user_id: userId }).select('id');
        await trx(WEBHOOK_ATTEMPTS_TABLE).whereIn('endpoint_id', endpointIds).delete();
        const webhookDeliveries = await trx(WEBHOOK_DELIVERIES_TABLE).whereIn('endpoint_id', endpointIds).delete();
        const webhookEndpoints = await trx(WEBHOOK_ENDPOINTS_TABLE).where({ user_id: userId }).delete();

        let refinementRecords = 0;
        let idempotencyKeys = 0;
        if (ownership) {
          const keyed = await trx(GATEWAY_USER_TABLES.ownership).where({ user_id: userId }).whereNotNull('idempotency_key').count({ n: '*' }).first();
          idempotencyKeys = Number(keyed?.n ?? 0);
          refinementRecords = await trx(GATEWAY_USER_TABLES.ownership).where({ user_id: userId }).delete();
        }
        const removedKeys = apiKeys ? await trx(GATEWAY_USER_TABLES.apiKeys).where({ user_id: userId }).delete() : 0;
        if (userSlots) await trx(GATEWAY_USER_TABLES.userSlots).where({ user_id: userId }).delete();
        return {
          conceptRows,
          lineageLinksDetached,
          webhookEndpoints,
          webhookDeliveries,
          apiKeys: removedKeys,
          refinementRecords,
          idempotencyKeys,
        };
      }),
    );
  }

  async recordErasure(record: ErasureRecord): Promise<void> {
    await this.erasures.progressed(record);
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }

  private async hasTable(table: string): Promise<boolean> {
    return this.run('look up a table', () => this.knex.schema.hasTable(table));
  }

  private async run<T>(action: string, query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw classifyDatabaseError(err, action);
    }
  }
}

/** SQLite allows at most 999 bound parameters per statement. */
function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
