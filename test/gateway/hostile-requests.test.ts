/**
 * Requests a hostile or broken client sends: each is refused with a
 * problem+json naming what was wrong, and nothing is left behind by a request that did not start a
 * refinement.
 */
import net from 'node:net';
import knex from 'knex';
import { createImageStore } from '../../src/adapters/image-store';
import { openWebhookStore } from '../../src/adapters/webhook-store/knex-webhook-store';
import { buildGateway } from '../../src/gateway/app';
import { OWNERSHIP_TABLE } from '../../src/gateway/stores/migrations';
import { loadConfig } from '../../src/config';
import { conceptPng } from '../harness/images';
import { TestGateway } from '../harness/gateway';
import { freePort } from '../harness/ports';
import { TestStack } from '../harness/stack';

const good = {
  originalImageUrl: 'https://example.com/fox.png',
  refinementPrompt: 'Make it warmer',
  logoDescription: 'A fox',
  themeDescription: 'Autumn',
};

/** Sends raw bytes and returns the status line and body of the answer (or what arrived before close). */
async function rawRequest(port: number, head: string, body: string | Buffer, endAfterWrite: 'end' | 'half-close'): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      socket.write(body);
      if (endAfterWrite === 'end') socket.end();
    });
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers, ...rest] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
      const contentType = /content-type: ([^\r\n]+)/i.exec(headers)?.[1] ?? '';
      resolve({ status, contentType, body: rest.join('\r\n\r\n') });
    });
    setTimeout(() => socket.destroy(), 20_000).unref();
  });
}

describe('hostile requests', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  let token: string;
  let port: number;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    gateway = await TestGateway.start(stack);
    token = await gateway.token('hostile');
    port = Number(new URL(gateway.origin).port);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  const post = (json: unknown) => gateway.fetch('/v1/refinements', { method: 'POST', token, json });

  test.each([
    ['C1 control U+009B in the prompt', { refinementPrompt: 'warm\u009b31m' }, 'body.refinementPrompt', /control characters/],
    ['C1 control U+0085 in a description', { logoDescription: 'fox\u0085' }, 'body.logoDescription', /control characters/],
    ['C1 control in a preserved aspect', { preserveAspects: ['shape\u0090'] }, 'body.preserveAspects.0', /control characters/],
    ['C1 control in the URL', { originalImageUrl: 'https://example.com/\u009bfox.png' }, 'body.originalImageUrl', /control characters/],
    ['lone high surrogate in the prompt', { refinementPrompt: 'warm \ud83d er' }, 'body.refinementPrompt', /surrogate/],
    ['lone low surrogate in the theme', { themeDescription: '\ude00 autumn' }, 'body.themeDescription', /surrogate/],
  ])('%s → 400 naming the field', async (_name, change, field, detail) => {
    const response = await post({ ...good, ...change });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as any;
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, detail: expect.stringMatching(detail) })]));
  });

  test('a cancel reason with a C1 control or a lone surrogate is refused the same way', async () => {
    for (const reason of ['stop\u009b', 'stop \ud800']) {
      const response = await gateway.fetch('/v1/refinements/some-task/cancel', { method: 'POST', token, json: { reason } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).errors).toEqual([expect.objectContaining({ field: 'body.reason' })]);
    }
  });

  test('the typed client applies the same rule to a cancel reason, before any request', async () => {
    await expect(stack.refinements.cancel('any-task', 'stop\u009b')).rejects.toThrow(/reason contains control characters/);
    await expect(stack.refinements.cancel('any-task', 'stop \udc00')).rejects.toThrow(/reason contains a lone UTF-16 surrogate/);
  });

  test('lengths are counted the same by the gateway and the workflow: 1,500 emoji start, 2,001 do not', async () => {
    const accepted = await post({ ...good, refinementPrompt: '🍂'.repeat(1500) });
    expect(accepted.status).toBe(202);
    const { taskId } = (await accepted.json()) as any;
    // The run exists and got past its own input check (it waits for a worker in its first stage).
    const described = await stack.refinements.handle(taskId).describe();
    expect(described.status.name).toBe('RUNNING');
    await stack.refinements.handle(taskId).terminate('test done');

    const refused = await post({ ...good, refinementPrompt: '🍂'.repeat(2001) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).errors).toEqual([expect.objectContaining({ field: 'body.refinementPrompt' })]);
  });

  test.each([101, 128])('a task id of %i characters is an ordinary 404 problem', async (length) => {
    const response = await gateway.fetch(`/v1/refinements/${'a'.repeat(length)}`, { token });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test.each([129, 500])('a task id of %i characters is a 400 naming params.taskId', async (length) => {
    const response = await gateway.fetch(`/v1/refinements/${'a'.repeat(length)}`, { token });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors).toEqual([expect.objectContaining({ field: 'params.taskId' })]);
  });

  test("the router's own refusals are problem+json too: a 5,000-character segment, a malformed escape, an unparsable request", async () => {
    const long = await gateway.fetch(`/v1/refinements/${'a'.repeat(5000)}`, { token });
    expect(long.status).toBe(414);
    expect(long.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await long.json()) as any).toMatchObject({ status: 414, title: 'URI Too Long' });

    const badEscape = await gateway.fetch('/v1/refinements/%E0%A4%A', { token });
    expect(badEscape.status).toBe(400);
    expect(badEscape.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const garbage = await rawRequest(port, 'GET /v1/refinements HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n', '', 'end');
    expect(garbage.status).toBe(400);
    expect(garbage.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(garbage.body)).toMatchObject({ status: 400 });
  });

  describe('malformed multipart bodies are the client’s fault: 400 problem+json', () => {
    const part = (boundary: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="refinementPrompt"\r\n\r\nwarmer\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    const send = (contentType: string, body: string, mode: 'end' | 'half-close' = 'half-close', length = Buffer.byteLength(body)) =>
      rawRequest(
        port,
        `POST /v1/refinements HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`,
        body,
        mode,
      );

    test.each([
      ['no boundary', 'multipart/form-data'],
      ['an empty boundary', 'multipart/form-data; boundary='],
      ['an unterminated quoted boundary', 'multipart/form-data; boundary="'],
    ])('%s', async (_name, contentType) => {
      const answer = await send(contentType, part('abc') + 'PNGDATA\r\n--abc--\r\n');
      expect(answer.status).toBe(400);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 400, type: 'urn:refinery:problem:validation' });
    });

    test('a body that ends before its closing boundary', async () => {
      const answer = await send('multipart/form-data; boundary=abc', part('abc') + 'PNGDATA-but-no-closing-boundary');
      expect(answer.status).toBe(400);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
    });
  });

  test('an upload whose start fails leaves nothing behind: no upload, no row', async () => {
    const refusing = await TestGateway.start(stack, {}, false, { refuseStarts: true });
    try {
      const form = new FormData();
      form.set('refinementPrompt', 'Make it warmer');
      form.set('logoDescription', 'A fox');
      form.set('themeDescription', 'Autumn');
      form.set('image', new Blob([await conceptPng()], { type: 'image/png' }), 'fox.png');
      const response = await refusing.fetch('/v1/refinements', { method: 'POST', token: await refusing.token('unlucky'), body: form });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(stack.storedFiles().filter((f) => f.startsWith('uploads'))).toEqual([]);
      expect(await refusing.db(OWNERSHIP_TABLE).where({ user_id: 'unlucky' })).toEqual([]);
    } finally {
      await refusing.close();
    }
  });

  test('an unauthenticated readiness probe says which dependency is down, not its address', async () => {
    // A real failure: the gateway's database on a port where nothing listens.
    const deadPort = await freePort();
    const gatewayPort = await freePort();
    const config = loadConfig({ ...stack.env, GATEWAY_PORT: String(gatewayPort), GATEWAY_HOST: '127.0.0.1' });
    const webhookStore = await openWebhookStore(config.database, config.webhooks.secretKey);
    const deadDb = knex({ client: 'pg', connection: `postgres://postgres@127.0.0.1:${deadPort}/nowhere`, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 1_000 });
    const app = await buildGateway({
      config,
      temporal: stack.temporal,
      refinements: stack.refinements,
      imageStore: createImageStore(config.imageStore),
      conceptStore: stack.concepts,
      webhookStore,
      db: deadDb,
      logger: false,
    });
    try {
      await app.listen({ port: gatewayPort, host: '127.0.0.1' });
      const response = await fetch(`http://127.0.0.1:${gatewayPort}/readyz`);
      expect(response.status).toBe(503);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({ status: 'unavailable', checks: { temporal: 'ok', database: 'unavailable', imageStore: 'ok' } });
      expect(body).not.toContain(String(deadPort));
    } finally {
      await app.close();
      await deadDb.destroy();
      await webhookStore.close();
    }
  });

  test('a refused upload (bad field) stores nothing', async () => {
    const form = new FormData();
    form.set('refinementPrompt', 'warm\u009b');
    form.set('logoDescription', 'A fox');
    form.set('themeDescription', 'Autumn');
    form.set('image', new Blob([await conceptPng()], { type: 'image/png' }), 'fox.png');
    const response = await gateway.fetch('/v1/refinements', { method: 'POST', token, body: form });
    expect(response.status).toBe(400);
    expect((await stack.storedKeys()).filter((k) => k.startsWith('uploads/'))).toEqual([]);
  });
});
