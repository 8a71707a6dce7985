/**
 * A worker and a gateway started while Temporal is unreachable, as real processes: each waits for it
 * (every wait logged: what, where, the next try), the worker's health endpoint answers meanwhile,
 * and both start and serve once Temporal answers. A wrong address is not waited for: it stops both at
 * once, naming TEMPORAL_ADDRESS. The gateway waits for its database the same way. "Temporal" and the
 * database are closed TCP proxies in front of the suite's dev server and PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { conceptPng } from '../harness/images';
import { eventually } from '../harness/expectations';
import { ImageServer } from '../harness/image-server';
import { freePort } from '../harness/ports';
import { TestStack } from '../harness/stack';
import { TcpProxy } from '../harness/tcp-proxy';
import { WorkerHandle } from '../harness/worker-handle';

let stack: TestStack;
let images: ImageServer;
let proxy: TcpProxy;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [stack, images] = await Promise.all([TestStack.create({ database: 'postgres' }), ImageServer.start()]);
  const temporal = new URL(`tcp://${process.env.TEST_TEMPORAL_ADDRESS}`);
  proxy = await TcpProxy.closed({ host: temporal.hostname, port: Number(temporal.port) });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await stack?.close();
  await images?.close();
  await proxy?.close();
});

const log = (name: string) => path.join(stack.dir, `${name}.log`);
const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

async function waitForText(file: string, pattern: RegExp, count: number, timeoutMs: number): Promise<string[]> {
  return eventually(
    async () => {
      const lines = read(file)
        .split('\n')
        .filter((line) => pattern.test(line));
      return lines.length >= count ? lines : undefined;
    },
    timeoutMs,
    `${pattern} ${count} times in ${file}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}:\n${read(file).slice(-3000)}`);
  });
}

/** The gateway's own entry point (compiled like the workers when the global setup did so), its output into `file`. */
function spawnGateway(env: NodeJS.ProcessEnv, file: string): { child: ChildProcess; exited: Promise<number | null> } {
  const compiled = process.env.TEST_COMPILED_DIR;
  const args = compiled ? [path.join(compiled, 'src', 'gateway', 'main.js')] : ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'gateway', 'main.ts')];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out = fs.createWriteStream(file, { flags: 'a' });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function probe(port: number, route: string): Promise<{ status: number; body: any } | 'refused'> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.json() };
  } catch {
    return 'refused';
  }
}

test('started before Temporal: the worker and the gateway wait (each wait logged), the worker answers health meanwhile, both serve once it is up', async () => {
  expect(proxy.isOpen).toBe(false);
  const [healthPort, gatewayPort] = [await freePort(), await freePort()];
  const viaProxy = `127.0.0.1:${proxy.port}`;
  const starting = WorkerHandle.start({ ...stack.env, TEMPORAL_ADDRESS: viaProxy, WORKER_HEALTH_PORT: String(healthPort) }, log('worker'));
  starting.catch(() => undefined);
  const gateway = spawnGateway({ ...stack.env, TEMPORAL_ADDRESS: viaProxy, GATEWAY_PORT: String(gatewayPort), GATEWAY_HOST: '127.0.0.1' }, log('gateway'));

  // Each wait names what is waited for, where, and when the next try is; the backoff grows.
  const workerWaits = await waitForText(log('worker'), /Temporal unreachable; waiting for it/, 4, 60_000);
  const waits = workerWaits.map((line) => JSON.parse(line));
  expect(waits[0]).toMatchObject({ where: viaProxy, attempt: 1, retryInMs: expect.any(Number), nextTryAt: expect.any(String) });
  expect(waits[0].reason).toMatch(/cannot connect to Temporal/);
  expect(Math.max(...waits.map((w) => w.retryInMs))).toBeGreaterThan(Math.min(...waits.map((w) => w.retryInMs)));
  const gatewayWaits = await waitForText(log('gateway'), /Temporal unreachable; waiting for it/, 1, 60_000);
  expect(JSON.parse(gatewayWaits[0])).toMatchObject({ where: viaProxy, retryInMs: expect.any(Number), nextTryAt: expect.any(String) });

  // Still waiting, not exited; the worker's health endpoint says alive, not ready, and why.
  expect(gateway.child.exitCode).toBeNull();
  expect(await probe(healthPort, '/livez')).toEqual({ status: 200, body: { status: 'ok' } });
  const notReady = await probe(healthPort, '/readyz');
  expect(notReady).toMatchObject({ status: 503, body: { status: 'unavailable' } });
  expect((notReady as { body: { checks: Record<string, string> } }).body.checks.temporal).toMatch(/Temporal/);

  await proxy.open();
  const worker = await starting;
  expect(worker.running).toBe(true);
  await waitForText(log('worker'), /Temporal reachable/, 1, 10_000);
  await waitForText(log('gateway'), /gateway listening/, 1, 60_000);
  const ready = await eventually(async () => {
    const r = await probe(gatewayPort, '/readyz');
    return r !== 'refused' && r.status === 200 ? r : undefined;
  }, 30_000, 'gateway /readyz 200');
  expect(ready.body.checks.temporal).toBe('ok');
  await eventually(async () => ((await probe(healthPort, '/readyz')) as { status: number }).status === 200 || undefined, 30_000, 'worker /readyz 200');

  // The worker that waited serves a refinement.
  const taskId = `late-temporal-${Date.now()}`;
  await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve('/late/fox.png', { body: await conceptPng() }) }));
  await stack.refinements.result(taskId);
  await worker.stop('SIGTERM');
  gateway.child.kill('SIGTERM');
  await gateway.exited;
}, 240_000);

test.each([['http://127.0.0.1:7233'], ['not a host name']])('a malformed TEMPORAL_ADDRESS (%s) is not waited for: both stop at once, naming it', async (address) => {
  const started = Date.now();
  await expect(WorkerHandle.start({ ...stack.env, TEMPORAL_ADDRESS: address }, log('bad-address-worker'))).rejects.toThrow(/exited with 1/);
  const gateway = spawnGateway({ ...stack.env, TEMPORAL_ADDRESS: address, GATEWAY_PORT: String(await freePort()) }, log('bad-address-gateway'));
  expect(await gateway.exited).toBe(1);
  // Process start-up alone takes seconds on a busy machine: the bound only says "not waited for".
  expect(Date.now() - started).toBeLessThan(30_000);
  for (const name of ['bad-address-worker', 'bad-address-gateway']) {
    const output = read(log(name));
    expect(output).toMatch(/TEMPORAL_ADDRESS/);
    expect(output).not.toMatch(/waiting for it/);
  }
  fs.rmSync(log('bad-address-worker'));
  fs.rmSync(log('bad-address-gateway'));
}, 60_000);

test('a gateway started before its database waits for it (each wait logged), then serves', async () => {
  const real = new URL(process.env.TEST_DATABASE_URL!);
  const database = await TcpProxy.closed({ host: real.hostname, port: Number(real.port || 5432) });
  try {
    const viaProxy = new URL(process.env.TEST_DATABASE_URL!);
    viaProxy.port = String(database.port);
    const port = await freePort();
    const gateway = spawnGateway({ ...stack.env, DATABASE_URL: viaProxy.toString(), GATEWAY_PORT: String(port), GATEWAY_HOST: '127.0.0.1' }, log('gateway-db'));
    const waits = await waitForText(log('gateway-db'), /database unreachable; waiting for it/, 2, 60_000);
    expect(JSON.parse(waits[0])).toMatchObject({ attempt: 1, retryInMs: expect.any(Number), nextTryAt: expect.any(String) });
    expect(gateway.child.exitCode).toBeNull();
    await database.open();
    await waitForText(log('gateway-db'), /gateway listening/, 1, 60_000);
    expect(await probe(port, '/readyz')).toMatchObject({ status: 200 });
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  } finally {
    await database.close();
  }
}, 120_000);
