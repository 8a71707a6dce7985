/**
 * Readiness answers promptly with the failing check named, even when a dependency hangs instead of
 * refusing: the worker's /readyz and the gateway's /readyz give "not ready" within their probe bound
 * (2 s) while the image store, then the database, is frozen (a proxy that accepts connections and
 * never answers), and "ready" again once it answers.
 */
import { TestGateway } from '../harness/gateway';
import { eventually } from '../harness/expectations';
import { freePort } from '../harness/ports';
import { TestStack } from '../harness/stack';
import { TcpProxy } from '../harness/tcp-proxy';
import type { WorkerHandle } from '../harness/worker-handle';

/** The probes' bound, plus room for a loaded test machine. */
const ANSWER_WITHIN_MS = 4_000;

let stack: TestStack;
let gateway: TestGateway;
let worker: WorkerHandle;
let healthPort: number;
let store: TcpProxy;
let database: TcpProxy;

beforeAll(async () => {
  const s3 = new URL(process.env.TEST_S3_ENDPOINT!);
  const pg = new URL(process.env.TEST_DATABASE_URL!);
  [store, database] = await Promise.all([
    TcpProxy.closed({ host: s3.hostname, port: Number(s3.port) }),
    TcpProxy.closed({ host: pg.hostname, port: Number(pg.port || 5432) }),
  ]);
  await Promise.all([store.open(), database.open()]);
  const viaProxy = new URL(process.env.TEST_DATABASE_URL!);
  viaProxy.port = String(database.port);
  const env = { S3_ENDPOINT: `http://127.0.0.1:${store.port}`, DATABASE_URL: viaProxy.toString() };
  stack = await TestStack.create({ database: 'postgres', imageStore: 's3' });
  healthPort = await freePort();
  worker = await stack.startWorker({ env: { ...env, WORKER_HEALTH_PORT: String(healthPort) } });
  gateway = await TestGateway.start(stack, env);
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
  await Promise.all([store?.close(), database?.close()]);
});

type Readiness = { status: number; body: { status: string; checks: Record<string, string> }; ms: number };

async function readyz(origin: string): Promise<Readiness> {
  const started = Date.now();
  const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(20_000) });
  return { status: response.status, body: (await response.json()) as Readiness['body'], ms: Date.now() - started };
}

const origins = () => ({ worker: `http://127.0.0.1:${healthPort}`, gateway: gateway.origin });

async function bothReady(): Promise<void> {
  for (const [name, origin] of Object.entries(origins())) {
    await eventually(async () => ((await readyz(origin)).status === 200 ? true : undefined), 60_000, `${name} ready`);
  }
}

test.each([
  ['image store', 'imageStore', () => store],
  ['database', 'database', () => database],
])('a frozen %s: not ready within the bound, the check named, on the worker and the gateway', async (_what, check, proxy) => {
  await bothReady();
  await proxy().freeze();
  try {
    // Twice: the second probe finds the first one's connections still hung, and must not wait on them.
    for (let round = 0; round < 2; round++) {
      for (const [name, origin] of Object.entries(origins())) {
        const answer = await readyz(origin);
        expect({ name, status: answer.status, ready: answer.body.status }).toEqual({ name, status: 503, ready: 'unavailable' });
        expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
        expect(answer.body.checks[check]).not.toBe('ok');
        const others = Object.entries(answer.body.checks).filter(([k]) => k !== check);
        expect(others.every(([, v]) => v === 'ok')).toBe(true);
      }
    }
  } finally {
    await proxy().thaw();
  }
  await bothReady();
  expect(worker.running).toBe(true);
}, 180_000);
