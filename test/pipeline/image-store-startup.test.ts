/**
 * The start-up check of the worker and the gateway, as real processes: a wrong store setting stops
 * the process with a message naming it; a store that is only unreachable is waited for (each wait
 * logged) and the process starts once the store answers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../harness/ports';
import { TestStack } from '../harness/stack';
import { TcpProxy } from '../harness/tcp-proxy';
import { WorkerHandle } from '../harness/worker-handle';

let stack: TestStack;
beforeAll(async () => {
  stack = await TestStack.create({ database: 'postgres', imageStore: 's3' });
});
afterAll(async () => {
  await stack?.close();
});

const log = (name: string) => path.join(stack.dir, `${name}.log`);

async function waitForText(file: string, pattern: RegExp, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if ((text.match(new RegExp(pattern, 'g')) ?? []).length >= count) return;
    if (Date.now() > deadline) throw new Error(`${pattern} not seen ${count} times in ${file} within ${timeoutMs} ms:\n${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('worker: a missing bucket stops it, naming S3_BUCKET', async () => {
  const env = { ...stack.env, S3_BUCKET: 'no-such-bucket-here' };
  await expect(WorkerHandle.start(env, log('missing-bucket'))).rejects.toThrow(/exited with 1 before it was ready/);
  const output = fs.readFileSync(log('missing-bucket'), 'utf8');
  expect(output).toMatch(/StorageMisconfiguredError.*bucket no-such-bucket-here does not exist.*S3_BUCKET/);
});

test('worker: credentials that may not write stop it, naming the credential settings', async () => {
  const env = {
    ...stack.env,
    AWS_ACCESS_KEY_ID: process.env.TEST_S3_READER_ACCESS_KEY_ID!,
    AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_READER_SECRET_ACCESS_KEY!,
  };
  await expect(WorkerHandle.start(env, log('reader'))).rejects.toThrow(/exited with 1/);
  const output = fs.readFileSync(log('reader'), 'utf8');
  expect(output).toMatch(/StorageMisconfiguredError.*denied.*AWS_ACCESS_KEY_ID/);
  expect(output).not.toContain(process.env.TEST_S3_READER_SECRET_ACCESS_KEY!);
});

test('gateway: a missing bucket stops it, naming S3_BUCKET', async () => {
  const env = { ...stack.env, S3_BUCKET: 'no-such-bucket-here', GATEWAY_PORT: String(await freePort()) };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'gateway', 'main.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(output).toMatch(/StorageMisconfiguredError.*does not exist.*S3_BUCKET/);
});

test('worker: an unreachable store is waited for, each wait logged, and the worker starts once it answers', async () => {
  // A closed proxy in front of the suite's S3 server: connections are refused until it opens, and then
  // they reach a store that is already serving with its bucket. (Starting a store on the worker's port
  // instead left a window where the half-started store answered "no such bucket", which is fatal.)
  const store = new URL(stack.env.S3_ENDPOINT!);
  const proxy = await TcpProxy.closed({ host: store.hostname, port: Number(store.port) });
  const env: NodeJS.ProcessEnv = { ...stack.env, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` };
  const starting = WorkerHandle.start(env, log('late'));
  starting.catch(() => undefined);
  try {
    await waitForText(log('late'), /image store unreachable; waiting for it/, 2, 90_000);
    await proxy.open();
    const worker = await starting;
    expect(worker.running).toBe(true);
    await waitForText(log('late'), /image store reachable/, 1, 5_000);
    await worker.stop();
  } finally {
    await proxy.close();
  }
}, 240_000);
