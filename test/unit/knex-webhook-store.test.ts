/** The webhook store on both databases: secrets sealed at rest and shown once, deliveries and attempts. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { connectDatabase, type DatabaseConfig } from '../../src/adapters/database/knex-database';
import { openWebhookStore, type KnexWebhookStore } from '../../src/adapters/webhook-store/knex-webhook-store';
import { SecretBox } from '../../src/adapters/webhook-store/secret-box';

const KEY = 'a-test-webhook-secret-key-of-more-than-32-characters';

const databases: Record<string, () => DatabaseConfig> = {
  postgres: () => ({ kind: 'postgres', url: process.env.TEST_DATABASE_URL! }),
  sqlite: () => ({ kind: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-webhooks-')), 'w.sqlite') }),
};

describe.each(Object.entries(databases))('KnexWebhookStore on %s', (_name, open) => {
  let db: DatabaseConfig;
  let store: KnexWebhookStore;
  const userId = `wh-store-${randomUUID()}`;

  beforeAll(async () => {
    db = open();
    store = await openWebhookStore(db, KEY);
  });
  afterAll(async () => {
    await store?.close();
    if (db.kind === 'sqlite') fs.rmSync(path.dirname(db.file), { recursive: true, force: true });
  });

  test('the secret is returned once, stored sealed, and opens only with the key and on its own row', async () => {
    const { endpoint, secret } = await store.createEndpoint({ userId, url: 'https://example.com/hook', kind: 'endpoint' });
    expect(secret).toMatch(/^whsec_/);
    await expect(store.signingSecret(endpoint.id)).resolves.toBe(secret);
    const knex = await connectDatabase(db);
    try {
      const row = await knex('webhook_endpoints').where({ id: endpoint.id }).first();
      expect(JSON.stringify(row)).not.toContain(secret!.slice(6));
      expect(() => new SecretBox('another-key-another-key-another-key').open(row.sealed_secret, endpoint.id)).toThrow();
      expect(() => new SecretBox(KEY).open(row.sealed_secret, 'wh_someone_else')).toThrow();
    } finally {
      await knex.destroy();
    }
    // A callback registered twice under its fixed id: one row, the secret only the first time.
    const first = await store.createEndpoint({ id: `cb_${userId}`, userId, url: 'https://example.com/cb', kind: 'callback', taskId: userId });
    const again = await store.createEndpoint({ id: `cb_${userId}`, userId, url: 'https://example.com/cb', kind: 'callback', taskId: userId });
    expect([typeof first.secret, again.secret]).toEqual(['string', null]);
    await expect(store.listEndpoints(userId)).resolves.toEqual([expect.objectContaining({ id: endpoint.id })]);
  });

  test('deliveries keep their first body; attempts are numbered and listed newest first; delete removes them', async () => {
    const { endpoint } = await store.createEndpoint({ userId, url: 'https://example.com/d', kind: 'endpoint' });
    const messageId = `msg_${randomUUID()}`;
    await store.ensureDelivery({ endpointId: endpoint.id, messageId, taskId: 't1', eventType: 'refinement.completed', body: '{"a":1}' });
    await store.ensureDelivery({ endpointId: endpoint.id, messageId, taskId: 't1', eventType: 'refinement.completed', body: '{"a":2}' });
    await store.recordAttempt(endpoint.id, messageId, { statusCode: 500, error: null, outcome: 'retrying', at: new Date(), durationMs: 3 });
    await store.recordAttempt(endpoint.id, messageId, { statusCode: 200, error: null, outcome: 'delivered', at: new Date(), durationMs: 4 });
    const [delivery] = await store.listDeliveries(endpoint.id, 10);
    expect(delivery).toMatchObject({ messageId, body: '{"a":1}', status: 'delivered', attempts: 2, lastStatusCode: 200 });
    expect(delivery.recentAttempts.map((a) => [a.attempt, a.statusCode])).toEqual([[2, 200], [1, 500]]);
    await store.markFailed(endpoint.id, messageId, 'late');
    await expect(store.findDelivery(endpoint.id, messageId)).resolves.toMatchObject({ status: 'delivered' });
    await expect(store.deleteEndpoint('someone-else', endpoint.id)).resolves.toBe(false);
    await expect(store.deleteEndpoint(userId, endpoint.id)).resolves.toBe(true);
    await expect(store.listDeliveries(endpoint.id, 10)).resolves.toEqual([]);
  });

  test('an attempt recorded after the delivery gave up leaves it failed; a replay moves it on again', async () => {
    const { endpoint } = await store.createEndpoint({ userId, url: 'https://example.com/late', kind: 'endpoint' });
    const messageId = `msg_${randomUUID()}`;
    await store.ensureDelivery({ endpointId: endpoint.id, messageId, taskId: 't2', eventType: 'refinement.completed', body: '{}' });
    await store.markFailed(endpoint.id, messageId, 'retry time ran out');
    // The attempt that was still waiting for the receiver when the retry time ended reports last.
    await store.recordAttempt(endpoint.id, messageId, { statusCode: null, error: 'no answer within 3000 ms', outcome: 'retrying', at: new Date(), durationMs: 3000 });
    await expect(store.findDelivery(endpoint.id, messageId)).resolves.toMatchObject({ status: 'failed', attempts: 1 });
    await store.recordAttempt(endpoint.id, messageId, { statusCode: 410, error: null, outcome: 'endpoint-disabled', at: new Date(), durationMs: 1 });
    await expect(store.findDelivery(endpoint.id, messageId)).resolves.toMatchObject({ status: 'failed', attempts: 2, lastStatusCode: 410 });
    await store.markPending(endpoint.id, messageId);
    await store.recordAttempt(endpoint.id, messageId, { statusCode: 500, error: null, outcome: 'retrying', at: new Date(), durationMs: 1 });
    await expect(store.findDelivery(endpoint.id, messageId)).resolves.toMatchObject({ status: 'retrying', attempts: 3 });
    await store.recordAttempt(endpoint.id, messageId, { statusCode: 200, error: null, outcome: 'delivered', at: new Date(), durationMs: 1 });
    await store.recordAttempt(endpoint.id, messageId, { statusCode: null, error: 'late', outcome: 'retrying', at: new Date(), durationMs: 1 });
    await expect(store.findDelivery(endpoint.id, messageId)).resolves.toMatchObject({ status: 'delivered', attempts: 5 });
  });

  test("a callback endpoint is deleted by its owner with its deliveries, and by no one else", async () => {
    const id = `cb_${randomUUID()}`;
    await store.createEndpoint({ id, userId, url: 'https://example.com/cb-delete', kind: 'callback', taskId: id.slice(3) });
    await store.ensureDelivery({ endpointId: id, messageId: 'msg_cb', taskId: id.slice(3), eventType: 'refinement.completed', body: '{}' });
    await expect(store.deleteEndpoint('someone-else', id)).resolves.toBe(false);
    await expect(store.findEndpoint(id)).resolves.toBeDefined();
    await expect(store.deleteEndpoint(userId, id)).resolves.toBe(true);
    await expect(store.findEndpoint(id)).resolves.toBeUndefined();
    await expect(store.findDelivery(id, 'msg_cb')).resolves.toBeUndefined();
  });
});
