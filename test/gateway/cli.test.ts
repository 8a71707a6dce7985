/** The `refinery` CLI as a user runs it: a real process against a real gateway, dev server and worker. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestGateway } from '../harness/gateway';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'refinery.js');

let stack: TestStack;
let gateway: TestGateway;
let token: string;

/** Runs the CLI; resolves with its exit code and output whatever the code. */
async function refinery(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...stack.env, REFINERY_URL: gateway.origin, REFINERY_TOKEN: token };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  stack = await TestStack.create({ database: 'postgres' });
  gateway = await TestGateway.start(stack);
  await stack.startWorker();
  token = await gateway.token(`cli-user-${process.pid}`);
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

test('refine a local file: stages as they complete, then the concept and a working image URL', async () => {
  const file = path.join(stack.dir, 'fox.png');
  fs.writeFileSync(file, await conceptPng());
  const human = await refinery('refine', file, '-p', 'warmer and brighter', '-l', 'A fox', '-t', 'Modern tech');
  expect(human.code).toBe(0);
  for (const stage of ['download', 'refine', 'storeImage', 'storeConcept']) expect(human.stdout).toMatch(new RegExp(`✔ ${stage} +\\d+\\.\\ds\n`));
  expect(human.stdout).toMatch(/: completed\nconcept: [0-9a-f-]{36}\nimage: +http/);

  const { code, stdout } = await refinery('--json', 'refine', file, '-p', 'more contrast', '-l', 'A fox', '-t', 'Modern tech');
  expect(code).toBe(0);
  const result = JSON.parse(stdout);
  expect(result).toMatchObject({ status: 'completed', concept: { id: result.conceptId, refinementPrompt: 'more contrast' } });
  const image = await fetch(result.imageUrl);
  expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);

  const status = await refinery('--json', 'status', result.taskId);
  expect([status.code, JSON.parse(status.stdout).status]).toEqual([0, 'completed']);
  const list = await refinery('--json', 'list', '--limit', '5');
  expect(JSON.parse(list.stdout).items.map((r: { taskId: string }) => r.taskId)).toContain(result.taskId);
  // A finished refinement cannot be cancelled: refused, exit code 5.
  expect((await refinery('cancel', result.taskId, '--reason', 'late')).code).toBe(5);
});

test('exit codes: unknown task 4, bad request 2, no token 2', async () => {
  expect((await refinery('status', 'no-such-task')).code).toBe(4);
  const bad = await refinery('refine', 'ftp://example.com/a.png', '-p', 'x', '-l', 'y', '-t', 'z');
  expect(bad.code).toBe(2);
  expect(bad.stdout + bad.stderr).toMatch(/originalImageUrl/);
  const noToken = await run(process.execPath, [BIN, 'list'], { env: { ...stack.env, REFINERY_URL: gateway.origin } }).catch((e) => e);
  expect(noToken.code).toBe(2);
});

// Issue 9 item 10: through the package bin this failed with "Cannot find module .../database".
test('api-key create, list and revoke through the package bin: the key works until it is revoked', async () => {
  const user = `svc-${process.pid}`;
  const created = await refinery('--json', 'api-key', 'create', '--user', user, '--label', 'ci');
  expect(created).toMatchObject({ code: 0 });
  const { key, id } = JSON.parse(created.stdout);
  expect(key).toMatch(/^rk_/);
  expect((await gateway.fetch('/v1/refinements', { headers: { 'x-api-key': key } })).status).toBe(200);

  const listed = await refinery('--json', 'api-key', 'list', '--user', user);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, userId: user, label: 'ci', revokedAt: null })]);

  const revoked = await refinery('api-key', 'revoke', id);
  expect([revoked.code, revoked.stdout.trim()]).toEqual([0, `revoked ${id}`]);
  expect((await gateway.fetch('/v1/refinements', { headers: { 'x-api-key': key } })).status).toBe(401);
  expect((await refinery('api-key', 'revoke', id)).code).toBe(4); // no live key left to revoke
});

test('refinery --help answers from the compiled CLI', async () => {
  const started = Date.now();
  const help = await refinery('--help');
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Usage: refinery/);
  expect(help.stderr).not.toMatch(/building/); // the global setup built dist/: nothing stale to rebuild
  console.log(`refinery --help: ${Date.now() - started} ms`);
});

describe('what a person reads without --json', () => {
  let file: string;
  beforeAll(async () => {
    file = path.join(stack.dir, 'outcome-fox.png');
    fs.writeFileSync(file, await conceptPng());
  });

  test('refine and status show the outcome (applied, not applied) and where the run ended; list shows the prompt', async () => {
    const refined = await refinery('refine', file, '-p', 'make it warmer and add a tiny hat to the fox please', '-l', 'A fox', '-t', 'Modern tech');
    expect(refined.code).toBe(0);
    expect(refined.stdout).toMatch(/\noutcome: (applied|partly applied)\napplied:\n {2}\+ \S/);
    const taskId = /^(\S+): completed$/m.exec(refined.stdout)![1]!;

    const status = await refinery('status', taskId);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\noutcome: (applied|partly applied)\napplied:\n/);
    expect(status.stdout).toContain('stage:   completed  finished: download, refine, storeImage, storeConcept');
    const view = JSON.parse((await refinery('--json', 'status', taskId)).stdout);
    for (const applied of view.outcome.applied) expect(status.stdout).toContain(`  + ${applied}\n`);
    for (const notApplied of view.outcome.notApplied) expect(status.stdout).toContain(`  - ${notApplied}\n`);

    const list = await refinery('list', '--limit', '50');
    const row = list.stdout.split('\n').find((line) => line.includes(taskId));
    // The prompt, cut to its column with an ellipsis.
    expect(row).toMatch(new RegExp(`completed +${taskId} {2}make it warmer and add a tiny hat to th…$`));
  });

  test('a prompt the refiner cannot act on: failed, with the failure type and message; exit code 1', async () => {
    const failed = await refinery('refine', file, '-p', 'write a sonnet about the sea', '-l', 'A fox', '-t', 'Modern tech');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/: failed\nfailure: InstructionsNotUnderstoodError: \S.{20,}/);
  });

  test('status names the stage a running refinement is in; watch follows it to its end and its outcome', async () => {
    // From here on, only a worker that holds each refine stage for a while (the last test of the file).
    await Promise.all(stack.workers.map((w) => w.stop()));
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before', ms: 6_000 } });
    const detached = await refinery('refine', file, '-p', 'make it warmer', '-l', 'A fox', '-t', 'Modern tech', '--detach');
    const taskId = detached.stdout.trim();
    await stack.waitUntilHeld('refineConceptImage', taskId);
    const status = await refinery('status', taskId);
    expect(status.stdout).toMatch(/: running\n/);
    expect(status.stdout).toContain('stage:   refine  finished: download');
    expect(status.stdout).not.toMatch(/outcome:/); // nothing to say before the refiner has finished
    const watched = await refinery('watch', taskId);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/: completed\nconcept: .*\nimage: .*\noutcome: (applied|partly applied)\napplied:\n {2}\+ \S/);
  });
});
