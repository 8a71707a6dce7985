/**
 * TLS and mTLS to Temporal from configuration (TEMPORAL_TLS_*), against the production server started
 * once for this file with a TLS frontend that requires client certificates, and a CA made by the test.
 * The worker process and the client read the same variables, through src/temporal/connection.ts.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../../src/config';
import { TemporalConnectionError } from '../../src/errors';
import { connectTemporalClient, connectToTemporal, temporalConnectionOptions } from '../../src/temporal/connection';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { TestCa, type IssuedCertificate } from '../harness/test-ca';
import { PostgresTemporalServer } from '../harness/temporal-server';

const SERVER_NAME = 'temporal.test';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-tls-'));

let ca: TestCa;
let otherCa: TestCa;
let client: IssuedCertificate;
let frontend: IssuedCertificate;
let server: PostgresTemporalServer;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([TestCa.create(dir, 'refinery-test-ca'), TestCa.create(dir, 'some-other-ca')]);
  [frontend, client] = await Promise.all([ca.issueServer('frontend', SERVER_NAME), ca.issueClient('worker', 'refinery-worker')]);
  server = await PostgresTemporalServer.start({
    tls: {
      certFile: frontend.certFile,
      keyFile: frontend.keyFile,
      requireClientAuth: true,
      clientCaFile: ca.certFile,
      caFile: ca.certFile,
      serverName: SERVER_NAME,
      // The server's own system worker is a client of the frontend too.
      systemWorkerCertFile: client.certFile,
      systemWorkerKeyFile: client.keyFile,
    },
    adminTls: {
      serverRootCACertificate: fs.readFileSync(ca.certFile),
      clientCertPair: { crt: fs.readFileSync(client.certFile), key: fs.readFileSync(client.keyFile) },
      serverNameOverride: SERVER_NAME,
    },
  });
}, 300_000);
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const mtlsEnv = () => ({
  TEMPORAL_TLS_CA_FILE: ca.certFile,
  TEMPORAL_TLS_CERT_FILE: client.certFile,
  TEMPORAL_TLS_KEY_FILE: client.keyFile,
  TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
});

/** Both ways a process of Refinery connects: the client (gateway, starters) and the worker's native connection. */
async function connectBoth(env: Record<string, string>): Promise<PromiseSettledResult<unknown>[]> {
  const config = loadConfig({ TEMPORAL_ADDRESS: server.address, ...env });
  return Promise.allSettled([
    connectTemporalClient(config).then((c) => c.connection.close()),
    connectToTemporal(config, (options) => NativeConnection.connect(options)).then((c) => c.close()),
  ]);
}

function refusals(results: PromiseSettledResult<unknown>[]): TemporalConnectionError[] {
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  return results.map((r) => {
    const reason = (r as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(TemporalConnectionError);
    if (process.env.SHOW_TLS_ERRORS) console.log(reason.message);
    return reason as TemporalConnectionError;
  });
}

test('a worker and a client with the CA and a client certificate complete a refinement over mTLS', async () => {
  const [stack, images] = await Promise.all([
    TestStack.create({ database: 'postgres', temporalAddress: server.address, env: mtlsEnv() }),
    ImageServer.start(),
  ]);
  try {
    expect(stack.config.temporal.tls?.clientCertPair).toBeDefined();
    await stack.startWorker();
    const originalImageUrl = images.serve('/tls.png', { body: await conceptPng() });
    const taskId = `tls-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const result = await stack.refinements.result(taskId);
    expect(result.taskId).toBe(taskId);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
    expect((await stack.refinements.progress(taskId)).status).toBe('completed');
  } finally {
    await stack.close();
    await images.close();
  }
});

test('without a client certificate the server refuses the connection, and the error says to set one', async () => {
  const errors = refusals(await connectBoth({ TEMPORAL_TLS_CA_FILE: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME }));
  for (const err of errors) {
    expect(err.message).toContain(`cannot connect to Temporal at ${server.address}`);
    expect(err.message).toMatch(/requires a client certificate \(mTLS\): set TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE/);
    expect(err.retryable).toBe(false);
  }
});

test("with the wrong CA the client refuses the server's certificate, and the error names TEMPORAL_TLS_CA_FILE", async () => {
  const errors = refusals(await connectBoth({ ...mtlsEnv(), TEMPORAL_TLS_CA_FILE: otherCa.certFile }));
  for (const err of errors) {
    expect(err.message).toContain(`CA TEMPORAL_TLS_CA_FILE=${otherCa.certFile}`);
    expect(err.message).toMatch(/not signed by a trusted CA: set TEMPORAL_TLS_CA_FILE/);
    expect(err.retryable).toBe(false);
  }
});

test('a client certificate from a CA the server does not trust is refused', async () => {
  const stranger = await otherCa.issueClient('stranger', 'stranger');
  const errors = refusals(
    await connectBoth({ ...mtlsEnv(), TEMPORAL_TLS_CERT_FILE: stranger.certFile, TEMPORAL_TLS_KEY_FILE: stranger.keyFile }),
  );
  for (const err of errors) expect(err.message).toMatch(/refused the client certificate/);
});

test('an API key reaches the server as a bearer token over TLS, from the client and the worker connection, and stays out of errors', async () => {
  // A stand-in for Temporal Cloud's frontend: real gRPC over HTTP/2 and TLS that records each call's
  // metadata and refuses it as Cloud refuses a bad key (UNAUTHENTICATED). The production server
  // without an authorizer would accept any key, so it could not show that the key is sent.
  const seen: { path: string; authorization?: string; userAgent?: string }[] = [];
  const cloud = http2.createSecureServer({ cert: fs.readFileSync(frontend.certFile), key: fs.readFileSync(frontend.keyFile) }, () => undefined);
  cloud.on('stream', (stream, headers) => {
    seen.push({ path: String(headers[':path']), authorization: headers.authorization, userAgent: headers['user-agent'] });
    stream.on('data', () => undefined);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'Request unauthorized' }, { endStream: true });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  cloud.on('session', (session) => sessions.add(session));
  await new Promise<void>((resolve) => cloud.listen(0, '127.0.0.1', resolve));
  const key = `tcld-test-key-${Date.now()}`;
  try {
    const config = loadConfig({
      TEMPORAL_ADDRESS: `127.0.0.1:${(cloud.address() as AddressInfo).port}`,
      TEMPORAL_TLS_CA_FILE: ca.certFile,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
      TEMPORAL_API_KEY: key,
    });
    const errors = refusals(
      await Promise.allSettled([
        connectTemporalClient(config).then((c) => c.connection.close()),
        connectToTemporal(config, (options) => NativeConnection.connect(options)).then((c) => c.close()),
      ]),
    );
    for (const err of errors) {
      expect(err.message).toMatch(/refused the credentials: check TEMPORAL_API_KEY/);
      expect(err.message).not.toContain(key);
    }
    // One call from each connection: grpc-js (the client) and tonic (the worker's Core connection).
    expect(new Set(seen.map((call) => call.userAgent?.split('/')[0]))).toEqual(new Set(['grpc-node-js', 'tonic']));
    expect(seen.every((call) => call.path.startsWith('/temporal.api.workflowservice.v1.WorkflowService/'))).toBe(true);
    expect(new Set(seen.map((call) => call.authorization))).toEqual(new Set([`Bearer ${key}`]));
  } finally {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => cloud.close(resolve));
  }
});

describe('configuration', () => {
  const base = { TEMPORAL_ADDRESS: 'temporal.example:7233' };

  test('no TEMPORAL_TLS_* and no key: plaintext, as before', () => {
    expect(temporalConnectionOptions(loadConfig(base))).toEqual({ address: 'temporal.example:7233' });
  });

  test('the files are read at start-up and handed to both connections', () => {
    const options = temporalConnectionOptions(loadConfig({ ...base, ...mtlsEnv() }));
    expect(options.tls).toEqual({
      serverRootCACertificate: fs.readFileSync(ca.certFile),
      clientCertPair: { crt: fs.readFileSync(client.certFile), key: fs.readFileSync(client.keyFile) },
      serverNameOverride: SERVER_NAME,
    });
  });

  test('an API key turns TLS on with the system CAs (Temporal Cloud) and never prints', () => {
    const key = 'tcld-secret-api-key-0123456789';
    const config = loadConfig({ ...base, TEMPORAL_API_KEY: key });
    expect(temporalConnectionOptions(config)).toEqual({
      address: 'temporal.example:7233',
      tls: { serverRootCACertificate: undefined, clientCertPair: undefined, serverNameOverride: undefined },
      apiKey: key,
    });
    expect(JSON.stringify(config)).not.toContain(key);
    expect(inspect(config, { depth: 10 })).not.toContain(key);
    expect(`${config.temporal.apiKey}`).toBe('[redacted]');
    // The client key's bytes do not print either.
    const withCert = loadConfig({ ...base, ...mtlsEnv() });
    const keyPem = fs.readFileSync(client.keyFile, 'utf8');
    expect(JSON.stringify(withCert)).not.toContain(keyPem.split('\n')[1]);
  });

  test('TEMPORAL_TLS=true alone: TLS with the system CAs', () => {
    expect(temporalConnectionOptions(loadConfig({ ...base, TEMPORAL_TLS: 'true' })).tls).toEqual({
      serverRootCACertificate: undefined,
      clientCertPair: undefined,
      serverNameOverride: undefined,
    });
  });

  test.each([
    [{ TEMPORAL_TLS_CERT_FILE: 'cert' }, /TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE must be set together/],
    [{ TEMPORAL_TLS_KEY_FILE: 'key' }, /TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE must be set together/],
    [{ TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem' }, /TEMPORAL_TLS_CA_FILE: cannot read \/nonexistent\/ca.pem \(ENOENT\)/],
    [{ TEMPORAL_TLS_CA_FILE: __filename }, /TEMPORAL_TLS_CA_FILE: .* is not a PEM certificate/],
    [{ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }, /TEMPORAL_API_KEY needs TLS/],
    [{ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'x' }, /TEMPORAL_TLS=false contradicts/],
  ])('refused at start-up: %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  test('a key that is not the certificate’s is refused at start-up', async () => {
    const other = await ca.issueClient('other', 'other');
    expect(() => loadConfig({ ...base, ...mtlsEnv(), TEMPORAL_TLS_KEY_FILE: other.keyFile })).toThrow(
      /TEMPORAL_TLS_KEY_FILE: .* is not the key of the certificate in TEMPORAL_TLS_CERT_FILE/,
    );
  });
});
