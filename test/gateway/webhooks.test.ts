/**
 * Webhooks end to end against a real receiver on loopback: registration (secret once), Standard
 * Webhooks signatures checked with the `standardwebhooks` package, the same webhook-id across
 * retries and across a SIGKILLed worker, 410 disabling an endpoint, failed deliveries replayed, and
 * private callback addresses refused by default.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { TestGateway } from '../harness/gateway';
import { ImageServer } from '../harness/image-server';
import { TestStack } from '../harness/stack';
import { WebhookReceiver } from '../harness/webhook-receiver';
import { closeWebhookSuite, startBody, startWebhookSuite } from '../harness/webhook-suite';
import { recordHistory } from '../harness/histories';

const WEBHOOK_ENV = {
  ALLOW_PRIVATE_WEBHOOK_HOSTS: 'true',
  WEBHOOK_RETRY_INITIAL_INTERVAL: '1s',
  WEBHOOK_RETRY_MAXIMUM_INTERVAL: '2s',
  WEBHOOK_TIMEOUT_MS: '3000',
};

let stack: TestStack;
let gateway: TestGateway;
let images: ImageServer;
let receiver: WebhookReceiver;
let original: Buffer;

const body = startBody;

/** The spec's algorithm written out, independently of both the sender and the package. */
function specSignature(secret: string, id: string, timestamp: string, payload: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;
}

async function register(token: string, url: string): Promise<{ id: string; secret: string }> {
  const response = await gateway.fetch('/v1/webhooks', { method: 'POST', token, json: { url, description: 'test receiver' } });
  expect(response.status).toBe(201);
  return (await response.json()) as any;
}

beforeAll(async () => {
  ({ stack, gateway, images, receiver, original } = await startWebhookSuite(WEBHOOK_ENV));
});
afterAll(() => closeWebhookSuite({ stack, gateway, images, receiver }));

test('a receiver failing twice then 200 gets the same signed event three times, across a SIGKILLed worker', async () => {
  const token = await gateway.token(`wh-retry-${process.pid}`);
  const endpoint = await register(token, receiver.url('/retry', [500, 503], 200));
  expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const listed = (await (await gateway.fetch('/v1/webhooks', { token })).json()) as any;
  expect(listed.items).toEqual([expect.objectContaining({ id: endpoint.id, disabledAt: null })]);
  expect(JSON.stringify(listed)).not.toContain('whsec_');

  const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/retry.png', { body: original })) });
  const { taskId } = (await started.json()) as any;
  await receiver.waitFor('/retry', 1);
  // Between the first and the second attempt (the first one recorded, the retry not yet due): the
  // only worker dies, a new one takes over the schedule the server keeps.
  const deadline = Date.now() + 30_000;
  while (((await gateway.webhooks.findDelivery(endpoint.id, `msg_${taskId}`))?.attempts ?? 0) < 1) {
    if (Date.now() > deadline) throw new Error('the first attempt was not recorded');
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(receiver.at('/retry')).toHaveLength(1);
  await stack.workers[0].stop('SIGKILL');
  await stack.startWorker();
  const got = await receiver.waitFor('/retry', 3, 90_000);
  await new Promise((r) => setTimeout(r, 3000));
  expect(receiver.at('/retry')).toHaveLength(3);

  const ids = got.map((r) => r.headers['webhook-id']);
  expect(new Set(ids)).toEqual(new Set([`msg_${taskId}`]));
  expect(new Set(got.map((r) => r.body)).size).toBe(1);
  const verifier = new Webhook(endpoint.secret);
  for (const r of got) {
    expect(verifier.verify(r.body, r.headers)).toBeTruthy();
    expect(r.headers['webhook-signature']).toBe(specSignature(endpoint.secret, r.headers['webhook-id'], r.headers['webhook-timestamp'], r.body));
    expect(Math.abs(Number(r.headers['webhook-timestamp']) * 1000 - r.at)).toBeLessThan(5000);
  }
  // Altered body or another secret: the signature no longer verifies.
  expect(() => verifier.verify(got[2].body.replace('completed', 'failed'), got[2].headers)).toThrow();
  const event = JSON.parse(got[2].body);
  const result = await stack.refinements.result(taskId);
  expect(event).toMatchObject({
    type: 'refinement.completed',
    data: { taskId, conceptId: result.conceptId, refinement: { taskId, status: 'completed', conceptId: result.conceptId } },
  });
  expect(got[2].body).not.toContain(endpoint.secret);

  const deliveries = (await (await gateway.fetch(`/v1/webhooks/${endpoint.id}/deliveries`, { token })).json()) as any;
  expect(deliveries.items).toHaveLength(1);
  expect(deliveries.items[0]).toMatchObject({ id: `msg_${taskId}`, status: 'delivered', attempts: 3, lastStatusCode: 200 });
  expect(deliveries.items[0].recentAttempts.map((a: any) => a.statusCode)).toEqual([200, 503, 500]);
  const history = await stack.refinements.handle(taskId).fetchHistory();
  expect(JSON.stringify(history)).not.toContain(endpoint.secret.slice(6));
  recordHistory('completed-with-webhook', history);
});

test('410 disables the endpoint; a failed refinement is told through its callbackUrl, signed with the secret shown once', async () => {
  const token = await gateway.token(`wh-gone-${process.pid}`);
  const gone = await register(token, receiver.url('/gone', [], 410));
  const callbackUrl = receiver.url('/callback', [], 200);
  const started = await gateway.fetch('/v1/refinements', {
    method: 'POST',
    token,
    json: body(images.serve('/not-an-image.png', { body: Buffer.from('<html>nope</html>'), contentType: 'text/html' }), { callbackUrl }),
  });
  expect(started.status).toBe(202);
  const { taskId, callbackSecret, callbackWebhookId } = (await started.json()) as any;
  expect(callbackSecret).toMatch(/^whsec_/);
  const [callback] = await receiver.waitFor('/callback', 1);
  expect(new Webhook(callbackSecret).verify(callback.body, callback.headers)).toBeTruthy();
  expect(JSON.parse(callback.body)).toMatchObject({ type: 'refinement.failed', data: { taskId, conceptId: null, refinement: { status: 'failed' } } });
  await receiver.waitFor('/gone', 1);
  // The refinement's own outcome is unchanged by the deliveries.
  await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ status: 'failed', failureType: 'NotAnImageError' });
  // The callback's deliveries are visible to its owner, like a registered endpoint's; to nobody else.
  const callbackDeliveries = (await (await gateway.fetch(`/v1/webhooks/${callbackWebhookId}/deliveries`, { token })).json()) as any;
  expect(callbackDeliveries.items).toEqual([expect.objectContaining({ id: `msg_${taskId}`, status: 'delivered', attempts: 1, lastStatusCode: 200 })]);
  const stranger = await gateway.token(`wh-stranger-${process.pid}`);
  expect((await gateway.fetch(`/v1/webhooks/${callbackWebhookId}/deliveries`, { token: stranger })).status).toBe(404);

  const endpoint = (await (await gateway.fetch(`/v1/webhooks/${gone.id}`, { token })).json()) as any;
  expect(endpoint.disabledAt).not.toBeNull();
  const second = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/after-gone.png', { body: original })) });
  await stack.refinements.result(((await second.json()) as any).taskId);
  expect(receiver.at('/gone')).toHaveLength(1);
  const deliveries = (await (await gateway.fetch(`/v1/webhooks/${gone.id}/deliveries`, { token })).json()) as any;
  expect(deliveries.items).toEqual([expect.objectContaining({ status: 'endpoint-disabled', attempts: 1, lastStatusCode: 410 })]);
});

test('a delivery that gave up is replayed with the same webhook-id; another user sees 404', async () => {
  const short = await TestStack.create({ database: 'postgres', env: { ...WEBHOOK_ENV, WEBHOOK_RETRY_FOR: '4s' } });
  try {
    await short.startWorker();
    const shortGateway = await TestGateway.start(short);
    try {
      const token = await shortGateway.token(`wh-replay-${process.pid}`);
      const created = await shortGateway.fetch('/v1/webhooks', { method: 'POST', token, json: { url: receiver.url('/down', [], 500) } });
      const endpoint = (await created.json()) as any;
      const started = await shortGateway.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/replay.png', { body: original })) });
      const { taskId } = (await started.json()) as any;
      // While its delivery is being retried the run stays open, but the refinement is completed: it
      // reads so, and it is not counted or listed as running.
      await receiver.waitFor('/down', 1);
      expect((await short.refinements.handle(taskId).describe()).status.name).toBe('RUNNING');
      expect(((await (await shortGateway.fetch('/v1/refinements?status=running', { token })).json()) as any).items).toEqual([]);
      const view = (await (await shortGateway.fetch(`/v1/refinements/${taskId}`, { token })).json()) as any;
      expect(view).toMatchObject({ status: 'completed' });
      await short.refinements.result(taskId); // closes once the delivery gave up
      const failed = (await (await shortGateway.fetch(`/v1/webhooks/${endpoint.id}/deliveries`, { token })).json()) as any;
      expect(failed.items[0]).toMatchObject({ id: `msg_${taskId}`, status: 'failed', lastStatusCode: 500 });
      const before = receiver.at('/down').length;
      expect(before).toBeGreaterThanOrEqual(2);

      const other = await shortGateway.token(`wh-other-${process.pid}`);
      const replayPath = `/v1/webhooks/${endpoint.id}/deliveries/msg_${taskId}/replay`;
      for (const response of await Promise.all([
        shortGateway.fetch(`/v1/webhooks/${endpoint.id}`, { token: other }),
        shortGateway.fetch(`/v1/webhooks/${endpoint.id}/deliveries`, { token: other }),
        shortGateway.fetch(replayPath, { method: 'POST', token: other }),
        shortGateway.fetch(`/v1/webhooks/${endpoint.id}`, { method: 'DELETE', token: other }),
      ])) {
        expect(response.status).toBe(404);
      }

      receiver.answer('/down', [], 200);
      const replay = await shortGateway.fetch(replayPath, { method: 'POST', token });
      expect(replay.status).toBe(202);
      const all = await receiver.waitFor('/down', before + 1);
      const last = all[all.length - 1];
      expect(last.headers['webhook-id']).toBe(`msg_${taskId}`);
      expect(last.body).toBe(all[0].body);
      expect(new Webhook(endpoint.secret).verify(last.body, last.headers)).toBeTruthy();
      const deadline = Date.now() + 30_000;
      let delivered: any;
      do {
        await new Promise((r) => setTimeout(r, 200));
        delivered = ((await (await shortGateway.fetch(`/v1/webhooks/${endpoint.id}/deliveries`, { token })).json()) as any).items[0];
      } while (delivered.status !== 'delivered' && Date.now() < deadline);
      expect(delivered).toMatchObject({ status: 'delivered', lastStatusCode: 200 });

      expect((await shortGateway.fetch(`/v1/webhooks/${endpoint.id}`, { method: 'DELETE', token })).status).toBe(204);
      expect(((await (await shortGateway.fetch('/v1/webhooks', { token })).json()) as any).items).toEqual([]);
    } finally {
      await shortGateway.close();
    }
  } finally {
    await short.close();
  }
});

test('a receiver that never answers is cut off at WEBHOOK_TIMEOUT_MS and tried again', async () => {
  const token = await gateway.token(`wh-slow-${process.pid}`);
  const endpoint = await register(token, receiver.url('/slow', [0], 200));
  const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/slow.png', { body: original })) });
  const { taskId } = (await started.json()) as any;
  await receiver.waitFor('/slow', 2, 60_000);
  await stack.refinements.result(taskId);
  const [delivery] = ((await (await gateway.fetch(`/v1/webhooks/${endpoint.id}/deliveries`, { token })).json()) as any).items;
  expect(delivery).toMatchObject({ status: 'delivered', attempts: 2 });
  const [second, first] = delivery.recentAttempts;
  expect(first).toMatchObject({ statusCode: null, error: 'no answer within 3000 ms', outcome: 'retrying' });
  expect(first.durationMs).toBeGreaterThanOrEqual(2900);
  expect(first.durationMs).toBeLessThan(10_000);
  expect(second).toMatchObject({ statusCode: 200, outcome: 'delivered' });
});

test('callback URLs and endpoints on private addresses are refused by default, leaving nothing behind', async () => {
  const strict = await TestGateway.start(stack, { ALLOW_PRIVATE_WEBHOOK_HOSTS: 'false' });
  try {
    const token = await strict.token(`wh-strict-${process.pid}`);
    for (const url of [receiver.url('/private'), 'http://169.254.169.254/latest', 'http://[::1]:9/x', 'http://localhost:9/x']) {
      const refinement = await strict.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/strict.png', { body: original }), { callbackUrl: url }) });
      expect(refinement.status).toBe(400);
      expect(((await refinement.json()) as any).detail).toMatch(/refusing/);
      const endpoint = await strict.fetch('/v1/webhooks', { method: 'POST', token, json: { url } });
      expect(endpoint.status).toBe(400);
    }
    expect((await strict.fetch('/v1/webhooks', { method: 'POST', token, json: { url: 'ftp://example.com/x' } })).status).toBe(400);
    expect(((await (await strict.fetch('/v1/refinements', { token })).json()) as any).items).toEqual([]);
    expect(((await (await strict.fetch('/v1/webhooks', { token })).json()) as any).items).toEqual([]);
    expect(images.hits('/strict.png')).toBe(0);
    expect(receiver.at('/private')).toHaveLength(0);
  } finally {
    await strict.close();
  }
});
