/**
 * The user-data store on both databases: it finds a user's tasks and endpoints across the stores'
 * tables, removes every row of theirs in one go (counting each kind), detaches other users' children
 * of their concepts without touching anything else of those users, and finds nothing the second time.
 * A database the gateway never migrated (no gateway tables) is erased all the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { openConceptStore, type KnexConceptStore } from '../../src/adapters/concept-store/knex-concept-store';
import type { RefinedConceptInput } from '../../src/adapters/concept-store/concept-store';
import { connectDatabase, type DatabaseConfig } from '../../src/adapters/database/knex-database';
import { ErasureLog } from '../../src/adapters/user-data/erasure-log';
import { noCounts } from '../../src/adapters/user-data/erasure-counts';
import { openUserDataStore, type KnexUserDataStore } from '../../src/adapters/user-data/knex-user-data-store';
import { openWebhookStore, type KnexWebhookStore } from '../../src/adapters/webhook-store/knex-webhook-store';
import { ApiKeys } from '../../src/gateway/stores/api-keys';
import { openGatewayDatabase } from '../../src/gateway/stores/database';
import { OwnershipStore } from '../../src/gateway/stores/ownership';

const KEY = 'a-test-webhook-secret-key-of-more-than-32-characters';

const databases: Record<string, () => DatabaseConfig> = {
  postgres: () => ({ kind: 'postgres', url: process.env.TEST_DATABASE_URL! }),
  sqlite: () => ({ kind: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-user-data-')), 'u.sqlite') }),
};

const concept = (userId: string, taskId: string, parentConceptId?: string): RefinedConceptInput => ({
  taskId,
  userId,
  logoDescription: 'A fox',
  themeDescription: 'Autumn',
  imagePath: `refined/${userId}/${taskId}.png`,
  imageUrl: `http://images.test/refined/${userId}/${taskId}.png`,
  colorPalettes: [],
  isAnonymous: false,
  refinementPrompt: 'warmer',
  originalImageUrl: 'http://images.test/original.png',
  parentConceptId,
});

describe.each(Object.entries(databases))('KnexUserDataStore on %s', (_name, open) => {
  let db: DatabaseConfig;
  let gatewayDb: Knex;
  let concepts: KnexConceptStore;
  let webhooks: KnexWebhookStore;
  let store: KnexUserDataStore;
  const a = `ud-a-${randomUUID()}`;
  const b = `ud-b-${randomUUID()}`;
  const task = (user: string, n: number) => `${user}-t${n}`;

  beforeAll(async () => {
    db = open();
    [gatewayDb, concepts, webhooks, store] = await Promise.all([
      openGatewayDatabase(db),
      openConceptStore(db),
      openWebhookStore(db, KEY),
      openUserDataStore(db),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gatewayDb?.destroy(), concepts?.close(), webhooks?.close(), store?.close()]);
    if (db.kind === 'sqlite') fs.rmSync(path.dirname(db.file), { recursive: true, force: true });
  });

  async function populate(user: string): Promise<{ conceptId: string }> {
    const ownership = new OwnershipStore(gatewayDb);
    await ownership.claimWithinCap({ taskId: task(user, 1), userId: user, idempotencyKey: 'k1', fingerprint: 'f' }, 10);
    await ownership.claimWithinCap({ taskId: task(user, 2), userId: user }, 10);
    await new ApiKeys(gatewayDb).create(user, 'ci');
    const { id: conceptId } = await concepts.storeConcept(concept(user, task(user, 1)));
    await concepts.storeConcept(concept(user, task(user, 2), conceptId));
    const { endpoint } = await webhooks.createEndpoint({ userId: user, url: 'https://example.com/hook', kind: 'endpoint' });
    const { endpoint: callback } = await webhooks.createEndpoint({ userId: user, url: 'https://example.com/cb', kind: 'callback', taskId: task(user, 3) });
    for (const [endpointId, taskId] of [[endpoint.id, task(user, 1)], [endpoint.id, task(user, 2)], [callback.id, task(user, 3)]]) {
      await webhooks.ensureDelivery({ endpointId, messageId: `msg_${taskId}`, taskId, eventType: 'refinement.completed', body: '{}' });
      await webhooks.recordAttempt(endpointId, `msg_${taskId}`, { statusCode: 200, error: null, outcome: 'delivered', at: new Date(), durationMs: 5 });
    }
    return { conceptId };
  }

  /** Every row of the user in every table erasure covers, as text. */
  async function rowsOf(user: string): Promise<string[]> {
    const knex = await connectDatabase(db);
    try {
      const endpoints = knex('webhook_endpoints').where({ user_id: user }).select('id');
      const parts = await Promise.all([
        knex('refined_concepts').where({ user_id: user }).orderBy('task_id'),
        knex('webhook_endpoints').where({ user_id: user }).orderBy('id'),
        knex('webhook_deliveries').whereIn('endpoint_id', endpoints).orderBy('message_id'),
        knex('webhook_delivery_attempts').whereIn('endpoint_id', endpoints).orderBy('id'),
        knex('gateway_refinements').where({ user_id: user }).orderBy('task_id'),
        knex('gateway_api_keys').where({ user_id: user }).orderBy('id'),
        knex('gateway_user_slots').where({ user_id: user }),
      ]);
      return parts.flat().map((row) => JSON.stringify(row));
    } finally {
      await knex.destroy();
    }
  }

  test('finds the user’s tasks and endpoints, erases every row, detaches other users’ children, and then finds nothing', async () => {
    const { conceptId: aRoot } = await populate(a);
    await populate(b);
    // B's concept refined from A's (the API refuses that; the store allows it).
    const { id: crossId } = await concepts.storeConcept(concept(b, task(b, 9), aRoot));
    const bBefore = await rowsOf(b);

    expect(await store.taskIdsOf(a)).toEqual([task(a, 1), task(a, 2), task(a, 3)]);
    expect(await store.webhookEndpointIdsOf(a)).toHaveLength(2);

    const counts = await store.eraseRows(a);
    expect(counts).toEqual({
      conceptRows: 2,
      lineageLinksDetached: 1,
      webhookEndpoints: 2,
      webhookDeliveries: 3,
      apiKeys: 1,
      refinementRecords: 2,
      idempotencyKeys: 1,
    });
    expect(await rowsOf(a)).toEqual([]);
    expect(await store.taskIdsOf(a)).toEqual([]);

    const cross = await concepts.findById(crossId);
    expect(cross).toMatchObject({ parentConceptId: aRoot, parentDeleted: true, rootConceptId: aRoot });
    const bAfter = await rowsOf(b);
    const withoutCross = (rows: string[]) => rows.filter((row) => !row.includes(crossId));
    expect(withoutCross(bAfter)).toEqual(withoutCross(bBefore));

    expect(await store.eraseRows(a)).toEqual({
      conceptRows: 0,
      lineageLinksDetached: 0,
      webhookEndpoints: 0,
      webhookDeliveries: 0,
      apiKeys: 0,
      refinementRecords: 0,
      idempotencyKeys: 0,
    });
  });

  test('the audit row: requested once, then progressed; the latest per user; counts only', async () => {
    const log = new ErasureLog(gatewayDb);
    const id = randomUUID();
    const requestedAt = new Date().toISOString();
    await log.requested({ id, subjectUserId: a, requestedBy: 'operator', operator: 'ops', requestedAt });
    await log.requested({ id, subjectUserId: a, requestedBy: 'operator', operator: 'ops', requestedAt: 'later' });
    expect(await log.find(id)).toEqual({ id, subjectUserId: a, requestedBy: 'operator', operator: 'ops', status: 'requested', counts: noCounts(), requestedAt, finishedAt: null });
    await store.recordErasure({ id, subjectUserId: a, requestedBy: 'operator', operator: 'ops', status: 'completed', counts: { ...noCounts(), apiKeys: 2 }, requestedAt, finishedAt: requestedAt });
    expect(await log.latestFor(a)).toMatchObject({ id, status: 'completed', operator: 'ops', counts: { apiKeys: 2, conceptRows: 0 } });
    expect(await log.latestFor(`nobody-${randomUUID()}`)).toBeUndefined();
  });
});

test('a database without the gateway’s tables is erased all the same', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-user-data-'));
  const db: DatabaseConfig = { kind: 'sqlite', file: path.join(dir, 'u.sqlite') };
  const [concepts, webhooks, store] = await Promise.all([openConceptStore(db), openWebhookStore(db, KEY), openUserDataStore(db)]);
  try {
    await concepts.storeConcept(concept('solo', 'solo-t1'));
    expect(await store.taskIdsOf('solo')).toEqual(['solo-t1']);
    expect(await store.eraseRows('solo')).toMatchObject({ conceptRows: 1, refinementRecords: 0, apiKeys: 0 });
  } finally {
    await Promise.all([concepts.close(), webhooks.close(), store.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
