/**
 * Limits against one client exhausting the gateway: a per-address limit
 * in front of authentication, and event streams capped per user and sharing one poll per refinement.
 */
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

describe('per-address limit before authentication', () => {
  let stack: TestStack;
  let gateway: TestGateway;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    gateway = await TestGateway.start(stack, { GATEWAY_ADDRESS_RATE_LIMIT_MAX: '5', GATEWAY_ADDRESS_RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test('unknown API keys and unsigned /images requests are limited per address: 429 problem+json with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await gateway.fetch('/v1/refinements', { headers: { 'x-api-key': `rk_unknown_${i}` } })).status);
    for (let i = 0; i < 2; i++) statuses.push((await gateway.fetch(`/images/uploads/x${i}/original`)).status);
    expect(statuses).toEqual([401, 401, 401, 403, 403]);

    const limited = await gateway.fetch('/v1/refinements', { headers: { 'x-api-key': 'rk_unknown_again' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await limited.json()) as any).toMatchObject({ status: 429, type: 'urn:refinery:problem:rate-limited' });
    expect((await gateway.fetch('/images/anything')).status).toBe(429);
    // Probes are never limited.
    expect((await gateway.fetch('/healthz')).status).toBe(200);
  });
});

describe('event streams', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  const MAX_STREAMS = 5;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    // The refinement waits in its first stage, so its workflow answers queries and never ends.
    await stack.startWorker({ hold: { activity: 'downloadOriginalImage', when: 'before' } });
    gateway = await TestGateway.start(stack, { GATEWAY_MAX_STREAMS_PER_USER: String(MAX_STREAMS), GATEWAY_RATE_LIMIT_MAX: '1000' });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test(`${MAX_STREAMS} streams on one refinement cause one poll loop, which stops when the last leaves; a ${MAX_STREAMS + 1}th stream is refused`, async () => {
    const token = await gateway.token('watcher');
    const started = await gateway.fetch('/v1/refinements', {
      method: 'POST',
      token,
      json: { originalImageUrl: 'https://example.com/fox.png', refinementPrompt: 'warmer', logoDescription: 'fox', themeDescription: 'autumn' },
    });
    expect(started.status).toBe(202);
    const { taskId } = (await started.json()) as any;
    await stack.waitUntilHeld('downloadOriginalImage', taskId);

    // Count every progress query the gateway makes, passing each through to the real client.
    const polls: number[] = [];
    const real = stack.refinements.progress.bind(stack.refinements);
    const spy = jest.spyOn(stack.refinements, 'progress').mockImplementation(async (id: string) => {
      polls.push(Date.now());
      return real(id);
    });

    const controllers = Array.from({ length: MAX_STREAMS }, () => new AbortController());
    const streams = await Promise.all(
      controllers.map((controller) => gateway.fetch(`/v1/refinements/${taskId}/events`, { token, signal: controller.signal })),
    );
    expect(streams.map((s) => s.status)).toEqual(Array(MAX_STREAMS).fill(200));
    // Every stream gets the current progress, from the shared loop.
    for (const stream of streams) {
      const reader = stream.body!.getReader();
      const { value } = await reader.read();
      expect(Buffer.from(value!).toString('utf8')).toContain('event: progress');
      reader.releaseLock();
    }

    const refused = await gateway.fetch(`/v1/refinements/${taskId}/events`, { token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    // Measure the polling of the open streams over a window: one loop polls about every 250 ms
    // (or slower under load); five loops would poll five times as often.
    const windowStart = Date.now();
    const before = polls.length;
    await new Promise((r) => setTimeout(r, 3_000));
    const elapsed = Date.now() - windowStart;
    const inWindow = polls.length - before;
    expect(inWindow).toBeGreaterThan(0);
    expect(inWindow).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);

    for (const controller of controllers) controller.abort();
    await new Promise((r) => setTimeout(r, 1_000));
    const afterClose = polls.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(polls.length).toBe(afterClose);

    // The slots were given back: a new stream is accepted again.
    const again = new AbortController();
    const reopened = await gateway.fetch(`/v1/refinements/${taskId}/events`, { token, signal: again.signal });
    expect(reopened.status).toBe(200);
    again.abort();
    spy.mockRestore();
    await stack.refinements.handle(taskId).terminate('test done');
  });
});
