/**
 * The audit trail and start-up errors: one JSON line per security-relevant action with who, what
 * and why and never the credential; a process with a bad setting says so in one JSON line, no stack.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { ApiKeys } from '../../src/gateway/stores/api-keys';
import { auditTo } from '../../src/observability/audit';
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

const run = promisify(execFile);

/** A pino logger whose lines land in `lines`, parsed. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('audit lines', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  const { lines, logger } = capturingLogger();
  const audits = () => lines.filter((l) => l.audit === true);

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    // The download is held (never reaches the network): the refinement runs until it is cancelled.
    await stack.startWorker({ hold: { activity: 'downloadOriginalImage', when: 'before' } });
    gateway = await TestGateway.start(stack, {}, logger);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test('refinement started and cancelled: by whom, which task, why, with the request id', async () => {
    const token = await gateway.token('audrey');
    const started = await gateway.fetch('/v1/refinements', {
      method: 'POST',
      token,
      headers: { 'x-request-id': 'audit-start-1' },
      json: { originalImageUrl: 'https://example.com/fox.png', refinementPrompt: 'Autumn', logoDescription: 'A fox', themeDescription: 'Tech' },
    });
    expect(started.status).toBe(202);
    const { taskId } = (await started.json()) as { taskId: string };
    await stack.waitUntilHeld('downloadOriginalImage', taskId);
    const cancelled = await gateway.fetch(`/v1/refinements/${taskId}/cancel`, { method: 'POST', token, json: { reason: 'changed my mind' } });
    expect(cancelled.status).toBe(202);

    expect(audits().find((l) => l.action === 'refinement.started')).toMatchObject({ actor: 'audrey', via: 'jwt', taskId, replayed: false, requestId: 'audit-start-1' });
    expect(audits().find((l) => l.action === 'refinement.cancel_requested')).toMatchObject({ actor: 'audrey', taskId, reason: 'changed my mind', outcome: 'cancelling' });
    await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ status: 'cancelled' });
  });

  test('authentication refused: the kind of credential and why, never the credential', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.forged-signature-abc';
    expect((await gateway.fetch('/v1/refinements', { token: forged })).status).toBe(401);
    expect((await gateway.fetch('/v1/refinements', { headers: { 'x-api-key': 'rk_not-a-real-key-123456' } })).status).toBe(401);
    const refused = audits().filter((l) => l.action === 'authentication.refused');
    expect(refused).toEqual([
      expect.objectContaining({ credential: 'jwt', route: '/v1/refinements', reason: expect.stringMatching(/invalid token/) }),
      expect.objectContaining({ credential: 'api_key', reason: 'unknown or revoked API key' }),
    ]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('forged-signature-abc');
    expect(text).not.toContain('rk_not-a-real-key-123456');
  });

  test('API key created and revoked, without the key', async () => {
    const keys = new ApiKeys(gateway.db, auditTo(logger));
    const { key, record } = await keys.create('svc-audit', 'ci');
    expect(await keys.revoke(record.id)).toBe(true);
    expect(await keys.revoke(record.id)).toBe(false); // nothing changed: no second line
    expect(audits().filter((l) => String(l.action).startsWith('api_key.'))).toEqual([
      expect.objectContaining({ action: 'api_key.created', keyId: record.id, userId: 'svc-audit', label: 'ci' }),
      expect.objectContaining({ action: 'api_key.revoked', keyId: record.id }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(key);
  });
});

test.each([
  ['worker', 'src/worker/main.ts'],
  ['gateway', 'src/gateway/main.ts'],
])('a %s with a bad setting logs one JSON line naming it, no stack trace, and exits 1', async (component, entry) => {
  const env = { ...process.env, DOWNLOAD_MAX_BYTES: 'lots', WORKER_METRICS_PORT: '70000' };
  const failure = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', entry)], { env, timeout: 60_000 }).then(
    () => undefined,
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  expect(failure?.code).toBe(1);
  const out = failure!.stdout.trim().split('\n');
  expect(out).toHaveLength(1);
  const line = JSON.parse(out[0]);
  expect(line).toMatchObject({ level: 60, component, error: 'ConfigError' });
  expect(line.msg).toMatch(/DOWNLOAD_MAX_BYTES/);
  expect(line.msg).toMatch(/WORKER_METRICS_PORT/);
  expect(failure!.stderr).not.toMatch(/\n\s+at /);
});
