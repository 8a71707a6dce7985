/**
 * While its database or Temporal is unreachable, the gateway answers 503 with Retry-After (a
 * problem+json of its own type, naming no address), not 500; once the dependency is back, the same
 * request succeeds. Each dependency sits behind a TCP proxy that the test closes and opens.
 */
import { TestGateway } from '../harness/gateway';
import { eventually } from '../harness/expectations';
import { TestStack } from '../harness/stack';
import { TcpProxy } from '../harness/tcp-proxy';

const UNAVAILABLE = 'urn:refinery:problem:dependency-unavailable';

let stack: TestStack;
let gateway: TestGateway;
let database: TcpProxy;
let temporal: TcpProxy;
let token: string;

beforeAll(async () => {
  const real = new URL(process.env.TEST_DATABASE_URL!);
  const frontend = new URL(`tcp://${process.env.TEST_TEMPORAL_ADDRESS}`);
  [database, temporal] = await Promise.all([
    TcpProxy.closed({ host: real.hostname, port: Number(real.port || 5432) }),
    TcpProxy.closed({ host: frontend.hostname, port: Number(frontend.port) }),
  ]);
  await Promise.all([database.open(), temporal.open()]);
  stack = await TestStack.create({ database: 'postgres', temporalAddress: `127.0.0.1:${temporal.port}` });
  const viaProxy = new URL(process.env.TEST_DATABASE_URL!);
  viaProxy.port = String(database.port);
  gateway = await TestGateway.start(stack, { DATABASE_URL: viaProxy.toString() }, false, { ownTemporalClient: true });
  token = await gateway.token(`outage-${Date.now()}`);
});
afterAll(async () => {
  await Promise.all([database?.open(), temporal?.open()]);
  await gateway?.close();
  await stack?.close();
  await Promise.all([database?.close(), temporal?.close()]);
});

async function expectUnavailable(response: Response, dependency: RegExp): Promise<void> {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, body }).toMatchObject({ status: 503, body: { type: UNAVAILABLE, status: 503 } });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(body.detail).toMatch(dependency);
  // The failure names no internal address.
  expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:\d{4,5}/);
}

test('database cut: 503 with Retry-After, then 200 once it is back', async () => {
  expect((await gateway.fetch('/v1/refinements', { token })).status).toBe(200);
  await database.close();
  await expectUnavailable(await gateway.fetch('/v1/refinements', { token }), /database/);
  await expectUnavailable(await gateway.fetch('/v1/refinements', { token }), /database/);
  await database.open();
  await eventually(async () => ((await gateway.fetch('/v1/refinements', { token })).status === 200 ? true : undefined), 30_000, '200 again');
}, 120_000);

test('Temporal cut: 503 with Retry-After, then 200 once it is back', async () => {
  // No worker polls this queue: the refinement stays running, which is all the reads need.
  const json = {
    originalImageUrl: 'http://images.test/fox.png',
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
  };
  const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, json });
  expect(started.status).toBe(202);
  const { taskId } = (await started.json()) as { taskId: string };
  expect((await gateway.fetch(`/v1/refinements/${taskId}`, { token })).status).toBe(200);
  await temporal.close();
  const asked = Date.now();
  await expectUnavailable(await gateway.fetch(`/v1/refinements/${taskId}`, { token }), /Temporal/);
  // The gateway's few tries, not the SDK's 10 (about 20 s): an outage is said promptly.
  const took = Date.now() - asked;
  console.log(`503 while Temporal is unreachable: ${took} ms`);
  expect(took).toBeLessThan(8_000);
  await temporal.open();
  await eventually(async () => ((await gateway.fetch(`/v1/refinements/${taskId}`, { token })).status === 200 ? true : undefined), 60_000, '200 again');
}, 180_000);
