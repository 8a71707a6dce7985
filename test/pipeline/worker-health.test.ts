/**
 * The worker's health endpoint: /livez while its pollers run, /readyz only while Temporal,
 * the database and the image store answer. The database is a TCP proxy in front of the real
 * PostgreSQL that the test closes and opens.
 */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { eventually } from '../harness/expectations';
import { freePort } from '../harness/ports';
import { TestStack } from '../harness/stack';
import { TcpProxy } from '../harness/tcp-proxy';

let stack: TestStack;
let proxy: TcpProxy;
let images: ImageServer;

beforeAll(async () => {
  [stack, images] = await Promise.all([TestStack.create({ database: 'postgres' }), ImageServer.start()]);
  const real = new URL(process.env.TEST_DATABASE_URL!);
  proxy = await TcpProxy.closed({ host: real.hostname, port: Number(real.port || 5432) });
});
afterAll(async () => {
  await stack?.close();
  await proxy?.close();
  await images?.close();
});

async function probe(port: number, route: '/livez' | '/readyz'): Promise<{ status: number; body: any } | 'refused'> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.json() };
  } catch {
    return 'refused';
  }
}

test('livez while the pollers run; readyz follows the database; livez fails once shutdown begins', async () => {
  const port = await freePort();
  const viaProxy = new URL(process.env.TEST_DATABASE_URL!);
  viaProxy.port = String(proxy.port);
  const worker = await stack.startWorker({
    env: { DATABASE_URL: viaProxy.toString(), WORKER_HEALTH_PORT: String(port), WORKER_SHUTDOWN_GRACE_MS: '20000' },
    hold: { activity: 'downloadOriginalImage', when: 'before', ms: 60_000 },
  });

  // Database down: live (polling), not ready, and the answer says which service is missing.
  await eventually(async () => ((await probe(port, '/livez')) as { status: number }).status === 200 || undefined, 30_000, 'livez 200');
  const down = await probe(port, '/readyz');
  expect(down).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { temporal: 'ok', imageStore: 'ok' } } });
  expect((down as { body: { checks: { database: string } } }).body.checks.database).toMatch(/not connected yet/);

  await proxy.open();
  const up = await eventually(async () => {
    const r = await probe(port, '/readyz');
    return r !== 'refused' && r.status === 200 ? r : undefined;
  }, 60_000, 'readyz 200 once the database is up');
  expect(up.body).toEqual({ status: 'ok', checks: { temporal: 'ok', database: 'ok', imageStore: 'ok' } });

  await proxy.close();
  const again = await eventually(async () => {
    const r = await probe(port, '/readyz');
    return r !== 'refused' && r.status === 503 ? r : undefined;
  }, 30_000, 'readyz 503 once the database is down again');
  expect(again.body.checks).toMatchObject({ temporal: 'ok', imageStore: 'ok', database: expect.not.stringMatching(/^ok$/) });
  expect(await probe(port, '/livez')).toMatchObject({ status: 200 });

  // A held download keeps the shutdown draining (grace 20 s): the pollers have stopped, livez says so.
  const taskId = `health-${Date.now()}`;
  await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve('/health/fox.png', { body: await conceptPng() }) }));
  await stack.waitUntilHeld('downloadOriginalImage', taskId);
  const stopped = worker.stop('SIGTERM');
  await eventually(async () => {
    const r = await probe(port, '/livez');
    return r !== 'refused' && r.status === 503 ? r : undefined;
  }, 15_000, 'livez 503 while shutting down');
  await worker.stop('SIGKILL');
  await stopped;
}, 180_000);
