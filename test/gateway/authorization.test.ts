/** Who may do what: 401 without valid credentials; another user's refinement is a 404 and stays untouched. */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

describe('gateway authorization', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  let images: ImageServer;
  let taskId: string;
  let conceptId: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    let original: Buffer;
    [stack, images, original] = await Promise.all([TestStack.create({ database: 'postgres' }), ImageServer.start(), conceptPng()]);
    // Alice's refinement is held in the refine stage, so a cancel by Bob would still be able to act.
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before', ms: 8_000 } });
    gateway = await TestGateway.start(stack);
    // Unique ids: every test file shares one PostgreSQL database, so 'bob' may have refinements elsewhere.
    alice = await gateway.token(`alice-${process.pid}-${Date.now()}`);
    bob = await gateway.token(`bob-${process.pid}-${Date.now()}`);
    const url = images.serve('/a.png', { body: original });
    const started = await gateway.fetch('/v1/refinements', {
      method: 'POST',
      token: alice,
      json: { originalImageUrl: url, refinementPrompt: 'warmer', logoDescription: 'fox', themeDescription: 'autumn' },
    });
    taskId = ((await started.json()) as any).taskId;
    await stack.waitUntilHeld('refineConceptImage', taskId);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await images?.close();
  });

  const expect401 = async (init: { token?: string; headers?: Record<string, string> }) => {
    const response = await gateway.fetch('/v1/refinements', init);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    return (await response.json()) as any;
  };

  test('no token, expired token, wrong audience, wrong issuer, bad signature, alg none, revoked API key → 401', async () => {
    const { auth } = gateway.config.gateway;
    await expect401({});
    expect((await expect401({ token: await gateway.token('alice', { ttlSeconds: -120 }) })).detail).toBe('token expired');
    expect((await expect401({ token: await gateway.token('alice', { audience: 'someone-else' }) })).detail).toMatch(/audience/);
    expect((await expect401({ token: await gateway.token('alice', { issuer: 'https://evil.example' }) })).detail).toMatch(/issuer/);
    const forged = await gateway.token('alice', { secret: 'x'.repeat(40) });
    await expect401({ token: forged });
    const [, payload] = alice.split('.');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    await expect401({ token: unsigned });
    await expect401({ headers: { authorization: 'Basic YWxpY2U6cGFzcw==' } });

    const keys = gateway.apiKeys();
    const { key, record } = await keys.create('alice', 'ci');
    const withKey = await gateway.fetch('/v1/refinements', { headers: { 'x-api-key': key } });
    expect(withKey.status).toBe(200);
    expect((await gateway.fetch('/v1/refinements', { token: key })).status).toBe(200);
    expect(await keys.revoke(record.id)).toBe(true);
    await expect401({ headers: { 'x-api-key': key } });
    await expect401({ token: key });
    await expect401({ token: 'rk_' + 'A'.repeat(43) });
  });

  test("user B reading, streaming, listing or cancelling user A's refinement → 404, and A's refinement carries on", async () => {
    const unknown = await gateway.fetch('/v1/refinements/no-such-task', { token: bob });
    const unknownBody = (await unknown.json()) as any;
    for (const [path, method] of [
      [`/v1/refinements/${taskId}`, 'GET'],
      [`/v1/refinements/${taskId}/events`, 'GET'],
      [`/v1/refinements/${taskId}/cancel`, 'POST'],
    ] as const) {
      const response = await gateway.fetch(path, { method, token: bob });
      expect([path, response.status]).toEqual([path, 404]);
      const body = (await response.json()) as any;
      // Exactly like an unknown id, apart from the id itself (and the request's own id).
      expect({ ...body, detail: body.detail.replace(taskId, 'X'), instance: undefined, requestId: typeof body.requestId }).toEqual({
        ...unknownBody,
        detail: unknownBody.detail.replace('no-such-task', 'X'),
        instance: undefined,
        requestId: 'string',
      });
    }
    const list = (await (await gateway.fetch('/v1/refinements', { token: bob })).json()) as any;
    expect(list.items).toEqual([]);

    const progress = await stack.refinements.progress(taskId);
    expect(progress.cancellation).toBeNull();
    const mine = (await (await gateway.fetch(`/v1/refinements/${taskId}`, { token: alice })).json()) as any;
    expect(mine).toMatchObject({ taskId, status: 'running', cancellation: null });
    expect(((await (await gateway.fetch('/v1/refinements', { token: alice })).json()) as any).items.map((i: any) => i.taskId)).toContain(taskId);

    const result = await stack.refinements.result(taskId);
    conceptId = result.conceptId;
    expect((await gateway.fetch(`/v1/concepts/${conceptId}`, { token: bob })).status).toBe(404);
    expect((await gateway.fetch(`/v1/concepts/${conceptId}`, { token: alice })).status).toBe(200);
  });
});
