/** Per-user rate limit and the cap on running refinements: both 429 with Retry-After. */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

describe('gateway limits', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  let images: ImageServer;
  let original: Buffer;

  beforeAll(async () => {
    [stack, images, original] = await Promise.all([TestStack.create({ database: 'postgres' }), ImageServer.start(), conceptPng()]);
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before' } });
    gateway = await TestGateway.start(stack, {
      GATEWAY_RATE_LIMIT_MAX: '5',
      GATEWAY_RATE_LIMIT_WINDOW_MS: '60000',
      GATEWAY_MAX_RUNNING_PER_USER: '1',
      GATEWAY_CAP_RETRY_AFTER_SECONDS: '17',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await images?.close();
  });

  test('the rate limit is per user and answers 429 with Retry-After', async () => {
    const token = await gateway.token('busy');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await gateway.fetch('/v1/refinements', { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await gateway.fetch('/v1/refinements', { token });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await limited.json()) as any).toMatchObject({ status: 429, type: 'urn:refinery:problem:rate-limited' });
    expect((await gateway.fetch('/v1/refinements', { token: await gateway.token('calm') })).status).toBe(200);
  });

  test('a second running refinement is refused with 429 and Retry-After until the first ends', async () => {
    const token = await gateway.token('capped');
    const body = (name: string) => ({
      originalImageUrl: images.serve(`/${name}.png`, { body: original }),
      refinementPrompt: 'warmer',
      logoDescription: 'fox',
      themeDescription: 'autumn',
    });
    const first = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body('one') });
    expect(first.status).toBe(202);
    const { taskId } = (await first.json()) as any;
    await stack.waitUntilHeld('refineConceptImage', taskId);

    const second = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body('two') });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('17');
    expect((await second.json()) as any).toMatchObject({ status: 429, type: 'urn:refinery:problem:too-many-running' });
    // The refused start left nothing behind: one refinement listed, and another user is unaffected.
    expect(((await (await gateway.fetch('/v1/refinements', { token })).json()) as any).items).toHaveLength(1);

    expect((await gateway.fetch(`/v1/refinements/${taskId}/cancel`, { method: 'POST', token })).status).toBe(202);
    await expect(stack.refinements.result(taskId)).rejects.toThrow(/cancelled/);
    const third = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body('three') });
    expect(third.status).toBe(202);
    const { taskId: thirdId } = (await third.json()) as any;
    await gateway.fetch(`/v1/refinements/${thirdId}/cancel`, { method: 'POST', token });
  });
});
