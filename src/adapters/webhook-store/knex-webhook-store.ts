/** WebhookStore on knex: PostgreSQL or SQLite, the database the concept store uses. */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { openMigratedDatabase, type DatabaseConfig } from '../database/knex-database';
import { classifyDatabaseError } from '../database/database-errors';
import {
  WEBHOOK_ATTEMPTS_TABLE,
  WEBHOOK_DELIVERIES_TABLE,
  WEBHOOK_ENDPOINTS_TABLE,
  WEBHOOK_STORE_MIGRATIONS,
  WEBHOOK_STORE_MIGRATIONS_TABLE,
} from './migrations';
import { newSigningSecret, SecretBox } from './secret-box';
import { FINAL_DELIVERY_STATUSES, type DeliveryAttempt, type DeliveryStatus, type NewEndpoint, type WebhookDelivery, type WebhookEndpoint, type WebhookStore } from './webhook-store';

interface EndpointRow {
  id: string;
  user_id: string;
  url: string;
  kind: 'endpoint' | 'callback';
  task_id: string | null;
  description: string;
  sealed_secret: string;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
}

interface DeliveryRow {
  endpoint_id: string;
  message_id: string;
  task_id: string;
  event_type: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  created_at: string;
}

interface AttemptRow {
  endpoint_id: string;
  message_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  outcome: DeliveryAttempt['outcome'];
  at: string;
  duration_ms: number;
}

/** How many attempts each delivery shows. */
const RECENT_ATTEMPTS = 10;

export async function openWebhookStore(db: DatabaseConfig, secretKey: string, options: { log?: Knex.Logger } = {}): Promise<KnexWebhookStore> {
  const knex = await openMigratedDatabase(db, { migrations: WEBHOOK_STORE_MIGRATIONS, tableName: WEBHOOK_STORE_MIGRATIONS_TABLE, ...options }).catch(
    (err: unknown) => {
      throw classifyDatabaseError(err, 'migrate the webhook store');
    },
  );
  return new KnexWebhookStore(knex, new SecretBox(secretKey));
}

export class KnexWebhookStore implements WebhookStore {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
  ) {}

  async createEndpoint(endpoint: NewEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string | null }> {
    const id = endpoint.id ?? `wh_${randomUUID().replace(/-/g, '')}`;
    const secret = newSigningSecret();
    const row: EndpointRow = {
      id,
      user_id: endpoint.userId,
      url: endpoint.url,
      kind: endpoint.kind,
      task_id: endpoint.taskId ?? null,
      description: endpoint.description ?? '',
      sealed_secret: this.box.seal(secret, id),
      created_at: new Date().toISOString(),
      disabled_at: null,
      disabled_reason: null,
    };
    const inserted = await this.run('register a webhook endpoint', () =>
      this.knex<EndpointRow>(WEBHOOK_ENDPOINTS_TABLE).insert(row).onConflict('id').ignore().returning('id'),
    );
    const stored = await this.findEndpoint(id);
    if (!stored) throw new Error(`webhook endpoint ${id} vanished right after insert`);
    // Returning ids is how both dialects say whether this call inserted the row.
    return { endpoint: stored, secret: (inserted as unknown[]).length > 0 ? secret : null };
  }

  async findEndpoint(id: string): Promise<WebhookEndpoint | undefined> {
    const row = await this.run('find a webhook endpoint', () => this.endpoints().where({ id }).first());
    return row && endpointFrom(row);
  }

  async listEndpoints(userId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.run('list webhook endpoints', () =>
      this.endpoints().where({ user_id: userId, kind: 'endpoint' }).orderBy([{ column: 'created_at' }, { column: 'id' }]),
    );
    return (rows as EndpointRow[]).map(endpointFrom);
  }

  async countEndpoints(userId: string): Promise<number> {
    const result = await this.run('count webhook endpoints', () =>
      this.endpoints().where({ user_id: userId, kind: 'endpoint' }).count({ n: '*' }).first(),
    );
    return Number((result as { n?: unknown } | undefined)?.n ?? 0);
  }

  async deleteEndpoint(userId: string, id: string): Promise<boolean> {
    return this.run('delete a webhook endpoint', () =>
      this.knex.transaction(async (trx) => {
        const removed = await trx(WEBHOOK_ENDPOINTS_TABLE).where({ id, user_id: userId }).delete();
        if (removed === 0) return false;
        await trx(WEBHOOK_DELIVERIES_TABLE).where({ endpoint_id: id }).delete();
        await trx(WEBHOOK_ATTEMPTS_TABLE).where({ endpoint_id: id }).delete();
        return true;
      }),
    );
  }

  async signingSecret(id: string): Promise<string> {
    const row = await this.run('read a webhook secret', () => this.endpoints().where({ id }).first('sealed_secret'));
    if (!row) throw new Error(`no webhook endpoint ${id}`);
    return this.box.open(row.sealed_secret, id);
  }

  async disableEndpoint(id: string, reason: string): Promise<void> {
    await this.run('disable a webhook endpoint', () =>
      this.endpoints().where({ id }).whereNull('disabled_at').update({ disabled_at: new Date().toISOString(), disabled_reason: reason }),
    );
  }

  async ensureDelivery(d: { endpointId: string; messageId: string; taskId: string; eventType: string; body: string }): Promise<WebhookDelivery> {
    await this.run('record a webhook delivery', () =>
      this.deliveries()
        .insert({
          endpoint_id: d.endpointId,
          message_id: d.messageId,
          task_id: d.taskId,
          event_type: d.eventType,
          body: d.body,
          status: 'pending',
          attempts: 0,
          last_status_code: null,
          last_error: null,
          last_attempt_at: null,
          created_at: new Date().toISOString(),
        })
        .onConflict(['endpoint_id', 'message_id'])
        .ignore(),
    );
    const stored = await this.findDelivery(d.endpointId, d.messageId);
    if (!stored) throw new Error(`webhook delivery ${d.messageId} vanished right after insert`);
    return stored;
  }

  async recordAttempt(endpointId: string, messageId: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<void> {
    await this.run('record a webhook attempt', () =>
      this.knex.transaction(async (trx) => {
        const key = { endpoint_id: endpointId, message_id: messageId };
        await trx<DeliveryRow>(WEBHOOK_DELIVERIES_TABLE)
          .where(key)
          .update({
            attempts: trx.raw('attempts + 1') as unknown as number,
            // One conditional update, so an attempt racing the give-up cannot reopen a settled delivery.
            status: trx.raw(`CASE WHEN status IN (${FINAL_DELIVERY_STATUSES.map(() => '?').join(', ')}) THEN status ELSE ? END`, [
              ...FINAL_DELIVERY_STATUSES,
              attempt.outcome,
            ]) as unknown as DeliveryStatus,
            last_status_code: attempt.statusCode,
            last_error: attempt.error,
            last_attempt_at: attempt.at.toISOString(),
          });
        const row = await trx<DeliveryRow>(WEBHOOK_DELIVERIES_TABLE).where(key).first('attempts');
        await trx<AttemptRow>(WEBHOOK_ATTEMPTS_TABLE).insert({
          ...key,
          attempt: row?.attempts ?? 1,
          status_code: attempt.statusCode,
          error: attempt.error,
          outcome: attempt.outcome,
          at: attempt.at.toISOString(),
          duration_ms: Math.round(attempt.durationMs),
        });
      }),
    );
  }

  async markFailed(endpointId: string, messageId: string, error: string): Promise<void> {
    await this.run('mark a webhook delivery failed', () =>
      this.deliveries().where({ endpoint_id: endpointId, message_id: messageId }).whereNot({ status: 'delivered' }).update({ status: 'failed', last_error: error }),
    );
  }

  async markPending(endpointId: string, messageId: string): Promise<void> {
    await this.run('requeue a webhook delivery', () =>
      this.deliveries().where({ endpoint_id: endpointId, message_id: messageId }).update({ status: 'pending' }),
    );
  }

  async findDelivery(endpointId: string, messageId: string): Promise<WebhookDelivery | undefined> {
    const row = await this.run('find a webhook delivery', () => this.deliveries().where({ endpoint_id: endpointId, message_id: messageId }).first());
    return row && (await this.withAttempts([row as DeliveryRow]))[0];
  }

  async listDeliveries(endpointId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.run('list webhook deliveries', () =>
      this.deliveries().where({ endpoint_id: endpointId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'message_id', order: 'desc' }]).limit(limit),
    );
    return this.withAttempts(rows as DeliveryRow[]);
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }

  private async withAttempts(rows: DeliveryRow[]): Promise<WebhookDelivery[]> {
    return Promise.all(
      rows.map(async (row) => {
        const attempts = (await this.run('list webhook attempts', () =>
          this.knex<AttemptRow>(WEBHOOK_ATTEMPTS_TABLE)
            .where({ endpoint_id: row.endpoint_id, message_id: row.message_id })
            .orderBy('attempt', 'desc')
            .limit(RECENT_ATTEMPTS),
        )) as AttemptRow[];
        return deliveryFrom(row, attempts);
      }),
    );
  }

  private endpoints() {
    return this.knex<EndpointRow>(WEBHOOK_ENDPOINTS_TABLE);
  }

  private deliveries() {
    return this.knex<DeliveryRow>(WEBHOOK_DELIVERIES_TABLE);
  }

  private async run<T>(action: string, query: () => PromiseLike<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw classifyDatabaseError(err, action);
    }
  }
}

function endpointFrom(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    userId: row.user_id,
    url: row.url,
    kind: row.kind,
    taskId: row.task_id,
    description: row.description,
    createdAt: new Date(row.created_at),
    disabledAt: row.disabled_at ? new Date(row.disabled_at) : null,
    disabledReason: row.disabled_reason,
  };
}

function deliveryFrom(row: DeliveryRow, attempts: AttemptRow[]): WebhookDelivery {
  return {
    endpointId: row.endpoint_id,
    messageId: row.message_id,
    taskId: row.task_id,
    eventType: row.event_type,
    body: row.body,
    status: row.status,
    attempts: Number(row.attempts),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    lastAttemptAt: row.last_attempt_at ? new Date(row.last_attempt_at) : null,
    createdAt: new Date(row.created_at),
    recentAttempts: attempts.map((a) => ({
      attempt: a.attempt,
      statusCode: a.status_code,
      error: a.error,
      outcome: a.outcome,
      at: new Date(a.at),
      durationMs: a.duration_ms,
    })),
  };
}
