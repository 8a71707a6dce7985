/**
 * `refinery admin erase-user`: the operator's erasure of any user, run as a real process with the
 * gateway's configuration against a real worker. It prints the counts with --wait, records the
 * operator in the audit row and an audit line, and refuses an id that is not plain before connecting.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestGateway } from '../harness/gateway';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'refinery.js');

let stack: TestStack;
let gateway: TestGateway;

async function refinery(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: gateway.env, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  stack = await TestStack.create({ database: 'postgres' });
  await stack.startWorker();
  gateway = await TestGateway.start(stack);
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

test('an operator erases a user and sees what was removed', async () => {
  const userId = `erase-op-${process.pid}-${Date.now()}`;
  const token = await gateway.token(userId);
  await gateway.apiKeys().create(userId, 'ci');
  const form = new FormData();
  form.set('refinementPrompt', 'warmer');
  form.set('logoDescription', 'A fox');
  form.set('themeDescription', 'Autumn');
  form.set('image', new Blob([await conceptPng()], { type: 'image/png' }), 'fox.png');
  const started = (await (await gateway.fetch('/v1/refinements', { method: 'POST', token, body: form })).json()) as { taskId: string };
  const { conceptId } = await stack.refinements.result(started.taskId);

  const { code, stdout, stderr } = await refinery('--json', 'admin', 'erase-user', userId, '--wait');
  expect([code, stderr.includes('"action":"user.erasure_requested"')]).toEqual([0, true]);
  const result = JSON.parse(stdout);
  expect(result).toMatchObject({ userId, status: 'completed', counts: { workflowRuns: 1, conceptRows: 1, refinedImages: 1, uploadedOriginals: 1, apiKeys: 1, refinementRecords: 1 } });

  expect(await stack.concepts.findById(conceptId)).toBeUndefined();
  expect((await stack.storedKeys()).filter((key) => key.includes(userId) || key.includes(started.taskId))).toEqual([]);
  const audit = await gateway.db('erasures').where({ id: result.erasureId }).first();
  expect(audit).toMatchObject({ subject_user_id: userId, requested_by: 'operator', operator: os.userInfo().username, status: 'completed' });
  console.log(`operator erasure of one refinement: ${Date.parse(audit.finished_at) - Date.parse(audit.requested_at)} ms from request to completion`);
  // The user sees the operator's erasure as theirs.
  const status = (await (await gateway.fetch('/v1/me/erasure', { token })).json()) as { erasureId: string; requestedBy: string };
  expect(status).toMatchObject({ erasureId: result.erasureId, requestedBy: 'operator' });
});

test('an id that is not plain is refused as a usage error, and nothing is started', async () => {
  const { code, stderr } = await refinery('admin', 'erase-user', '../etc');
  expect(code).toBe(2);
  expect(stderr).toContain('is not a plain id');
});
