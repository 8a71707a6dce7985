/**
 * Webhook deliveries always settle and webhook rows go when they should: a delivery whose retry time
 * ends while an attempt still waits on a hanging receiver ends failed and can be replayed, a caller
 * deletes their own callback endpoint, a start that fails leaves no callback row behind, and a host
 * refused by name is refused without telling the caller what the name resolves to.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { WEBHOOK_ENDPOINTS_TABLE } from '../../src/adapters/webhook-store/migrations';
import { TestGateway } from '../harness/gateway';
import { ImageServer } from '../harness/image-server';
import { TestStack } from '../harness/stack';
import { WebhookReceiver } from '../harness/webhook-receiver';
import { closeWebhookSuite, startBody, startWebhookSuite } from '../harness/webhook-suite';

/** The retry time (2s) ends while the first attempt (3s deadline) still waits on the receiver. */
const WEBHOOK_ENV = {
  ALLOW_PRIVATE_WEBHOOK_HOSTS: 'true',
  WEBHOOK_RETRY_FOR: '2s',
  WEBHOOK_RETRY_INITIAL_INTERVAL: '1s',
  WEBHOOK_RETRY_MAXIMUM_INTERVAL: '1s',
  WEBHOOK_TIMEOUT_MS: '3000',
};

let stack: TestStack;
let gateway: TestGateway;
let images: ImageServer;
let receiver: WebhookReceiver;
let original: Buffer;

const body = startBody;

async function deliveryOf(endpointId: string, token: string): Promise<any> {
  return ((await (await gateway.fetch(`/v1/webhooks/${endpointId}/deliveries`, { token })).json()) as any).items[0];
}

async function waitForDelivery(endpointId: string, token: string, done: (d: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const delivery = await deliveryOf(endpointId, token);
    if (delivery && done(delivery)) return delivery;
    if (Date.now() > deadline) throw new Error(`delivery never settled: ${JSON.stringify(delivery)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  ({ stack, gateway, images, receiver, original } = await startWebhookSuite(WEBHOOK_ENV));
});
afterAll(() => closeWebhookSuite({ stack, gateway, images, receiver }));

test('a delivery whose retry time ends during a hanging attempt ends failed, stays failed after that attempt reports, and replays', async () => {
  const token = await gateway.token(`settle-hang-${process.pid}`);
  const created = await gateway.fetch('/v1/webhooks', { method: 'POST', token, json: { url: receiver.url('/hang', [], 0) } });
  const endpoint = (await created.json()) as any;
  const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/hang.png', { body: original })) });
  const { taskId } = (await started.json()) as any;
  await receiver.waitFor('/hang', 1);
  await stack.refinements.result(taskId); // closes once the give-up was recorded
  // The attempt that was still waiting when the retry time ran out reports after the give-up.
  const settled = await waitForDelivery(endpoint.id, token, (d) => d.attempts >= 1);
  await new Promise((r) => setTimeout(r, 500));
  expect(await deliveryOf(endpoint.id, token)).toMatchObject({ id: `msg_${taskId}`, status: 'failed', attempts: settled.attempts });

  receiver.answer('/hang', [], 200);
  const replay = await gateway.fetch(`/v1/webhooks/${endpoint.id}/deliveries/msg_${taskId}/replay`, { method: 'POST', token });
  expect(replay.status).toBe(202);
  const delivered = await waitForDelivery(endpoint.id, token, (d) => d.status === 'delivered');
  expect(delivered).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
  const last = receiver.at('/hang').at(-1)!;
  expect(last.headers['webhook-id']).toBe(`msg_${taskId}`);
});

test("DELETE of a refinement's own callback endpoint deletes it and its deliveries; another user gets 404", async () => {
  const token = await gateway.token(`settle-cb-${process.pid}`);
  const started = await gateway.fetch('/v1/refinements', {
    method: 'POST',
    token,
    json: body(images.serve('/cb-delete.png', { body: original }), { callbackUrl: receiver.url('/cb-delete', [], 200) }),
  });
  expect(started.status).toBe(202);
  const { taskId, callbackWebhookId } = (await started.json()) as any;
  expect(callbackWebhookId).toBe(`cb_${taskId}`);

  const stranger = await gateway.token(`settle-cb-stranger-${process.pid}`);
  expect((await gateway.fetch(`/v1/webhooks/${callbackWebhookId}`, { method: 'DELETE', token: stranger })).status).toBe(404);
  expect(await gateway.webhooks.findEndpoint(callbackWebhookId)).toBeDefined();

  expect((await gateway.fetch(`/v1/webhooks/${callbackWebhookId}`, { method: 'DELETE', token })).status).toBe(204);
  expect((await gateway.fetch(`/v1/webhooks/${callbackWebhookId}`, { token })).status).toBe(404);
  expect((await gateway.fetch(`/v1/webhooks/${callbackWebhookId}`, { method: 'DELETE', token })).status).toBe(404);
  await stack.refinements.result(taskId);
  expect(await gateway.webhooks.findEndpoint(callbackWebhookId)).toBeUndefined();
  expect(await gateway.webhooks.findDelivery(callbackWebhookId, `msg_${taskId}`)).toBeUndefined();
});

test('a start that fails after its callback endpoint was registered leaves no callback row (nor its sealed secret) behind', async () => {
  const refusing = await TestGateway.start(stack, {}, false, { refuseStarts: true });
  const userId = `settle-refused-${process.pid}`;
  try {
    const response = await refusing.fetch('/v1/refinements', {
      method: 'POST',
      token: await refusing.token(userId),
      json: body(images.serve('/refused.png', { body: original }), { callbackUrl: receiver.url('/refused', [], 200) }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await refusing.db(WEBHOOK_ENDPOINTS_TABLE).where({ user_id: userId })).toEqual([]);
  } finally {
    await refusing.close();
  }
});

test("a webhook or callback host refused by name is refused by its rule; only the operator's log has the address", async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const strict = await TestGateway.start(stack, { ALLOW_PRIVATE_WEBHOOK_HOSTS: 'false' }, pino({ level: 'info' }, stream));
  try {
    const token = await strict.token(`settle-name-${process.pid}`);
    const url = 'http://localhost:9/hook';
    const answers = [
      await strict.fetch('/v1/webhooks', { method: 'POST', token, json: { url } }),
      await strict.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/by-name.png', { body: original }), { callbackUrl: url }) }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      const text = await answer.text();
      expect(JSON.parse(text).detail).toBe('refusing webhook host localhost: it resolves to an address that is not public (only public unicast addresses may be contacted)');
      expect(text).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    }
    const logged = JSON.stringify(lines);
    expect(logged).toMatch(/localhost resolved to (127\.0\.0\.1|::1) is in the loopback range/);
  } finally {
    await strict.close();
  }
});
