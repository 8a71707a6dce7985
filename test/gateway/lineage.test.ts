/**
 * Concept lineage end to end: real dev server, worker process, PostgreSQL, gateway and CLI. Each step
 * refines the previous concept; the worker reads the parent's image from the store, not a URL.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { TestGateway } from '../harness/gateway';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'refinery.js');

let stack: TestStack;
let gateway: TestGateway;
let images: ImageServer;
let alice: string;
let bob: string;

async function cli(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...stack.env, REFINERY_URL: gateway.origin, REFINERY_TOKEN: token };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sha = (data: ArrayBuffer) => createHash('sha256').update(Buffer.from(data)).digest('hex');

async function conceptOf(taskId: string, token: string): Promise<any> {
  const { conceptId } = await stack.refinements.result(taskId);
  const response = await gateway.fetch(`/v1/concepts/${conceptId}`, { token });
  expect(response.status).toBe(200);
  return response.json();
}

beforeAll(async () => {
  [stack, images] = await Promise.all([TestStack.create({ database: 'postgres' }), ImageServer.start()]);
  await stack.startWorker();
  gateway = await TestGateway.start(stack);
  alice = await gateway.token(`lineage-alice-${process.pid}`);
  bob = await gateway.token(`lineage-bob-${process.pid}`);
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
  await images?.close();
});

test('three steps through the API and the CLI: the chain, images differing step by step, listing, another user 404, deleting a parent', async () => {
  const originalUrl = images.serve('/lineage.png', { body: await conceptPng() });
  const first = await gateway.fetch('/v1/refinements', {
    method: 'POST',
    token: alice,
    json: { originalImageUrl: originalUrl, refinementPrompt: 'Make it more autumn-themed with orange and red', logoDescription: 'A fox', themeDescription: 'Modern tech' },
  });
  expect(first.status).toBe(202);
  const c1 = await conceptOf(((await first.json()) as any).taskId, alice);

  // Step 2 through the API: descriptions default to the parent's.
  const second = await gateway.fetch(`/v1/concepts/${c1.id}/refinements`, { method: 'POST', token: alice, json: { refinementPrompt: 'more contrast' } });
  expect(second.status).toBe(202);
  const secondTask = ((await second.json()) as any).taskId;
  const c2 = await conceptOf(secondTask, alice);
  expect(c2).toMatchObject({ logoDescription: 'A fox', refinementPrompt: 'more contrast' });
  expect(images.hits('/lineage.png')).toBe(1); // the parent's image came from the store
  const history = JSON.stringify(await stack.refinements.handle(secondTask).fetchHistory());
  expect(history).not.toContain('signature=');

  // Step 3 through the CLI.
  const third = await cli(alice, '--json', 'refine', '--concept', c2.id, '-p', 'warmer and brighter');
  expect(third.code).toBe(0);
  const c3 = JSON.parse(third.stdout).concept;
  expect(c3).toMatchObject({ refinementPrompt: 'warmer and brighter' });

  const lineage = (await (await gateway.fetch(`/v1/concepts/${c3.id}/lineage`, { token: alice })).json()) as any;
  expect(lineage.chain.map((c: any) => c.id)).toEqual([c1.id, c2.id, c3.id]);
  expect(lineage.chain.map((c: any) => c.refinementPrompt)).toEqual(['Make it more autumn-themed with orange and red', 'more contrast', 'warmer and brighter']);
  expect(lineage.chain.map((c: any) => c.parentConceptId)).toEqual([null, c1.id, c2.id]);
  expect(lineage.chain.every((c: any) => c.rootConceptId === c1.id)).toBe(true);
  expect(lineage.truncated).toBe(false);
  expect(lineage.children).toEqual([]);
  const hashes = await Promise.all(
    lineage.chain.map(async (c: any) => {
      const image = await fetch(c.imageUrl);
      expect(image.status).toBe(200);
      return sha(await image.arrayBuffer());
    }),
  );
  expect(new Set([sha(new Uint8Array(await conceptPng()).buffer), ...hashes]).size).toBe(4);
  const middle = (await (await gateway.fetch(`/v1/concepts/${c2.id}/lineage`, { token: alice })).json()) as any;
  expect(middle.chain.map((c: any) => c.id)).toEqual([c1.id, c2.id]);
  expect(middle.children.map((c: any) => c.id)).toEqual([c3.id]);

  const cliLineage = await cli(alice, '--json', 'concepts', 'lineage', c3.id);
  expect(JSON.parse(cliLineage.stdout).chain.map((c: any) => c.id)).toEqual([c1.id, c2.id, c3.id]);

  // Listing: newest first, two pages, filtered by root.
  const page1 = (await (await gateway.fetch('/v1/concepts?limit=2', { token: alice })).json()) as any;
  expect(page1.items.map((c: any) => c.id)).toEqual([c3.id, c2.id]);
  const page2 = (await (await gateway.fetch(`/v1/concepts?limit=2&cursor=${page1.nextCursor}`, { token: alice })).json()) as any;
  expect(page2).toMatchObject({ items: [{ id: c1.id }], nextCursor: null });
  const byRoot = (await (await gateway.fetch(`/v1/concepts?root=${c1.id}`, { token: alice })).json()) as any;
  expect(byRoot.items.map((c: any) => c.id)).toEqual([c3.id, c2.id, c1.id]);
  const cliList = await cli(alice, '--json', 'concepts', 'list', '--limit', '1');
  expect(JSON.parse(cliList.stdout).items.map((c: any) => c.id)).toEqual([c3.id]);
  expect((await gateway.fetch('/v1/concepts?cursor=not-a-cursor', { token: alice })).status).toBe(400);

  // Another user: 404 on every new route, exactly like an unknown id; their list is empty.
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const id of [c2.id, unknown]) {
    const answers = await Promise.all([
      gateway.fetch(`/v1/concepts/${id}/refinements`, { method: 'POST', token: bob, json: { refinementPrompt: 'mine now' } }),
      gateway.fetch(`/v1/concepts/${id}/lineage`, { token: bob }),
      gateway.fetch(`/v1/concepts/${id}`, { method: 'DELETE', token: bob }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as any[];
    expect(bodies.map((b) => b.detail)).toEqual([`no concept ${id}`, `no concept ${id}`, `no concept ${id}`]);
  }
  expect(((await (await gateway.fetch(`/v1/concepts?root=${c1.id}`, { token: bob })).json()) as any).items).toEqual([]);
  expect((await cli(bob, 'concepts', 'lineage', c2.id)).code).toBe(4);

  // Deleting the middle concept: its row and image go, its child stays readable with its own image.
  const c2Key = `refined/${c2.imageUrl.split('/refined/')[1].split('?')[0]}`;
  expect(stack.storedFiles()).toContain(decodeURIComponent(c2Key));
  expect((await gateway.fetch(`/v1/concepts/${c2.id}`, { method: 'DELETE', token: alice })).status).toBe(204);
  expect((await gateway.fetch(`/v1/concepts/${c2.id}`, { token: alice })).status).toBe(404);
  expect(stack.storedFiles()).not.toContain(decodeURIComponent(c2Key));
  const orphan = (await (await gateway.fetch(`/v1/concepts/${c3.id}/lineage`, { token: alice })).json()) as any;
  expect(orphan.chain.map((c: any) => c.id)).toEqual([c3.id]);
  expect(orphan.chain[0]).toMatchObject({ parentConceptId: c2.id, parentDeleted: true });
  expect(orphan.truncated).toBe(true);
  expect(sha(await (await fetch(orphan.chain[0].imageUrl)).arrayBuffer())).toBe(hashes[2]);
  expect(((await (await gateway.fetch(`/v1/concepts/${c1.id}/lineage`, { token: alice })).json()) as any).children).toEqual([]);
});

test("a workflow started directly for another user's concept fails non-retryably in the download stage", async () => {
  const url = images.serve('/owned.png', { body: await conceptPng() });
  const owner = await stack.refinements.start(stack.request({ userId: 'owner-1', originalImageUrl: url }));
  const { conceptId, imageUrl } = await stack.refinements.result(owner.taskId);

  const stolen = await stack.refinements.start(stack.request({ userId: 'thief-1', originalImageUrl: imageUrl, parentConceptId: conceptId }));
  const failure = await stack.refinements.handle(stolen.taskId).result().catch((err) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'ParentConceptNotFoundError' });
  expect(stack.starts('downloadOriginalImage', stolen.taskId)).toBe(1);
  expect(await stack.concepts.findByTaskId(stolen.taskId)).toBeUndefined();
});

test('deleting a concept made from an upload deletes the uploaded original too; its refinement stops linking to it', async () => {
  const form = new FormData();
  form.set('refinementPrompt', 'Make it warmer');
  form.set('logoDescription', 'A fox');
  form.set('themeDescription', 'Autumn');
  form.set('image', new Blob([await conceptPng()], { type: 'image/png' }), 'fox.png');
  const started = await gateway.fetch('/v1/refinements', { method: 'POST', token: alice, body: form });
  expect(started.status).toBe(202);
  const { taskId } = (await started.json()) as any;
  const { conceptId } = await stack.refinements.result(taskId);
  const before = (await (await gateway.fetch(`/v1/refinements/${taskId}`, { token: alice })).json()) as any;
  expect(before.original).toMatchObject({ uploaded: true });
  expect((await fetch(before.original.url)).status).toBe(200);
  expect(await stack.storedKeys()).toContain(`uploads/${taskId}/original`);

  expect((await gateway.fetch(`/v1/concepts/${conceptId}`, { method: 'DELETE', token: alice })).status).toBe(204);
  expect((await stack.storedKeys()).filter((k) => k.includes(taskId))).toEqual([]);
  const after = (await (await gateway.fetch(`/v1/refinements/${taskId}`, { token: alice })).json()) as any;
  expect(after.original).toBeNull();
  expect(JSON.stringify(after)).not.toContain('uploads');
  expect((await fetch(before.original.url)).status).toBe(404);
});
