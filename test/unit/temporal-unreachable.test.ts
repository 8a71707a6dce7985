/**
 * What a process waits for at start-up and what stops it: only an unreachable Temporal is waited for
 * (with a log line per wait naming it, where, and the next try); a malformed address, or TLS on one
 * side only, is a wrong setting that stops the process at once, naming the setting.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadWorkerConfig } from '../../src/config';
import { connectToTemporal, connectToTemporalWhenReachable, isTemporalUnreachable } from '../../src/temporal/connection';
import { waitUntilReachable } from '../../src/runtime/wait-until-reachable';
import { freePort } from '../harness/ports';
import { TestCa } from '../harness/test-ca';

const configFor = (address: string, env: Record<string, string> = {}) =>
  loadWorkerConfig({ PATH: process.env.PATH, TEMPORAL_ADDRESS: address, ...env });

const connectors: Record<string, (options: object) => Promise<unknown>> = {
  client: (options) => Connection.connect({ ...options, connectTimeout: 2_000 }),
  worker: (options) => NativeConnection.connect(options),
};

async function listening(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    info: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'info', fields, msg }),
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg }),
  };
  return { lines, logger: logger as never };
}

describe.each(Object.entries(connectors))('the %s connection', (_kind, connect) => {
  test('a closed port is "unreachable": waited for, each wait logged with where and the next try, until aborted', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const { lines, logger } = recorder();
    const giveUp = new AbortController();
    const waiting = connectToTemporalWhenReachable(configFor(address), connect, { logger, initialDelayMs: 50, maxDelayMs: 100, signal: giveUp.signal });
    const deadline = Date.now() + 20_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    giveUp.abort(new Error('enough'));
    await expect(waiting).rejects.toThrow('enough');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'Temporal unreachable; waiting for it', fields: { attempt: 1, where: address, retryInMs: 50 } });
    expect(lines[0].fields.reason).toMatch(/cannot connect to Temporal/);
    expect(Date.parse(String(lines[0].fields.nextTryAt))).not.toBeNaN();
    expect(lines[1].fields).toMatchObject({ attempt: 2, retryInMs: 100 });
  }, 30_000);

  test('TLS configured, the server plaintext: stopped at once, naming the TLS settings', async () => {
    const server = http2.createServer();
    try {
      const address = await listening(server);
      const err = await connectToTemporal(configFor(address, { TEMPORAL_TLS: 'true' }), connect).catch((e: unknown) => e);
      expect(isTemporalUnreachable(err)).toBe(false);
      expect((err as Error).message).toMatch(/does not answer TLS.*TEMPORAL_TLS/);
    } finally {
      server.close();
    }
  }, 30_000);

  test('plaintext configured, the server TLS: stopped at once, saying to set TEMPORAL_TLS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-tls-'));
    const ca = await TestCa.create(dir, 'ca');
    const cert = await ca.issueServer('server', 'localhost');
    const server = http2.createSecureServer({ key: fs.readFileSync(cert.keyFile), cert: fs.readFileSync(cert.certFile) });
    try {
      const address = await listening(server);
      const err = await connectToTemporal(configFor(address), connect).catch((e: unknown) => e);
      expect(isTemporalUnreachable(err)).toBe(false);
      expect((err as Error).message).toMatch(/may expect TLS: set TEMPORAL_TLS=true/);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

test('a malformed TEMPORAL_ADDRESS is refused with the configuration, before anything is dialled', () => {
  for (const address of ['http://127.0.0.1:7233', 'not a host', '127.0.0.1:7233/path']) {
    expect(() => configFor(address)).toThrow(/TEMPORAL_ADDRESS: must be host:port/);
  }
  for (const address of ['127.0.0.1:7233', 'localhost', 'temporal-frontend:7233', 'ns.acct.tmprl.cloud:7233', '[::1]:7233']) {
    expect(configFor(address).temporal.address).toBe(address);
  }
});

test('waitUntilReachable throws a failure that is not "unreachable" at once, without a wait', async () => {
  const { lines, logger } = recorder();
  let attempts = 0;
  const refused = new Error('refused: check the credentials');
  await expect(
    waitUntilReachable({ name: 'thing', attempt: async () => (attempts++, Promise.reject(refused)), unreachable: () => false }, logger),
  ).rejects.toBe(refused);
  expect({ attempts, lines }).toEqual({ attempts: 1, lines: [] });
});
