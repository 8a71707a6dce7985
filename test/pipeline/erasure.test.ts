/**
 * Erasure of a user, end to end, on both image stores (S3 on SeaweedFS, and the filesystem): user A has
 * finished, failed, cancelled and running refinements, an upload with an Idempotency-Key, a refine-again
 * lineage with a per-request callback, a registered webhook with deliveries, and an API key; user B has
 * the same kinds of data, plus a concept whose parent is one of A's. A asks for the erasure through the
 * API; the worker is SIGKILLed inside the erasure (held before its rows step) and a new one finishes it.
 * Afterwards no PostgreSQL table holds A's user id or task ids (the audit row aside), no store key is
 * A's, Temporal has no run of A's; B's rows and blobs are byte-identical, and B's child of A's concept
 * keeps its parent id, marked deleted. A second erasure finds nothing and says so in zeros.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { ERASURE_COUNT_KINDS } from '../../src/adapters/user-data/erasure-counts';
import { TestGateway } from '../harness/gateway';
import { eventually } from '../harness/expectations';
import { fetchRawHistory } from '../harness/raw-history';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { WebhookReceiver } from '../harness/webhook-receiver';
import { ERASURE_SHAPE, recordHistory } from '../harness/histories';
import type { WorkerHandle } from '../harness/worker-handle';

jest.setTimeout(240_000);

const ENV = {
  ALLOW_PRIVATE_WEBHOOK_HOSTS: 'true',
  WEBHOOK_RETRY_INITIAL_INTERVAL: '1s',
  WEBHOOK_RETRY_MAXIMUM_INTERVAL: '2s',
  WEBHOOK_TIMEOUT_MS: '3000',
};
const PROMPT = 'Make it more autumn-themed with orange and red';

interface UserData {
  userId: string;
  token: string;
  taskIds: string[];
  conceptIds: string[];
}

describe.each(['s3', 'filesystem'] as const)('erasing a user (%s image store)', (imageStore) => {
  let stack: TestStack;
  let gateway: TestGateway;
  let images: ImageServer;
  let receiver: WebhookReceiver;
  let original: Buffer;
  let firstWorker: WorkerHandle;
  const suffix = `${process.pid}-${imageStore}-${randomUUID().slice(0, 8)}`;
  const a: UserData = { userId: `erase-a-${suffix}`, token: '', taskIds: [], conceptIds: [] };
  const b: UserData = { userId: `erase-b-${suffix}`, token: '', taskIds: [], conceptIds: [] };

  beforeAll(async () => {
    [stack, images, receiver, original] = await Promise.all([
      TestStack.create({ database: 'postgres', imageStore, env: ENV }),
      ImageServer.start(),
      WebhookReceiver.start(),
      conceptPng(),
    ]);
    // The first worker stops inside the erasure, before its rows step, until it is killed.
    firstWorker = await stack.startWorker({ hold: { activity: 'eraseUserRows', when: 'before' } });
    gateway = await TestGateway.start(stack);
    a.token = await gateway.token(a.userId);
    b.token = await gateway.token(b.userId);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await images?.close();
    await receiver?.close();
  });

  const post = async (path: string, token: string, init: RequestInit & { json?: unknown } = {}) => {
    const response = await gateway.fetch(path, { method: 'POST', token, ...init });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as any;
  };
  const upload = (user: UserData, idempotencyKey: string) => {
    const form = new FormData();
    form.set('refinementPrompt', PROMPT);
    form.set('logoDescription', 'A fox');
    form.set('themeDescription', 'Autumn');
    form.set('image', new Blob([original], { type: 'image/png' }), 'fox.png');
    return post('/v1/refinements', user.token, { body: form, headers: { 'idempotency-key': idempotencyKey } });
  };
  const fromUrl = (user: UserData, url: string) =>
    post('/v1/refinements', user.token, { json: { originalImageUrl: url, refinementPrompt: PROMPT, logoDescription: 'A fox', themeDescription: 'Autumn' } });
  const closed = (taskId: string) =>
    eventually(async () => ((await stack.temporal.workflow.getHandle(`refinement-${taskId}`).describe()).status.name !== 'RUNNING' ? true : undefined), 60_000, `refinement ${taskId} closed`);

  /** Every kind of data for one user; returns when all of it has settled, but for `running` (left running). */
  async function populate(user: UserData, { running }: { running: boolean }): Promise<void> {
    await post('/v1/webhooks', user.token, { json: { url: receiver.url(`/${user.userId}`), description: 'erasure test' } });
    await gateway.apiKeys().create(user.userId, 'erasure test');

    const uploaded = await upload(user, `upload-${user.userId}`);
    const parent = await stack.refinements.result(uploaded.taskId);
    const child = await post(`/v1/concepts/${parent.conceptId}/refinements`, user.token, {
      json: { refinementPrompt: 'Now in winter blues', callbackUrl: receiver.url(`/${user.userId}/callback`) },
    });
    const childResult = await stack.refinements.result(child.taskId);

    const failed = await fromUrl(user, `${images.origin}/missing-${user.userId}.png`);
    const slow = images.serve(`/slow-${user.userId}.png`, { body: original, trickle: { chunkBytes: 16, everyMs: 1_000 } });
    const cancelled = await fromUrl(user, slow);
    await eventually(async () => ((await stack.refinements.progress(cancelled.taskId)).currentStage === 'download' ? true : undefined), 30_000, 'download started');
    await post(`/v1/refinements/${cancelled.taskId}/cancel`, user.token, { json: {} });
    user.taskIds.push(uploaded.taskId, child.taskId, failed.taskId, cancelled.taskId);
    user.conceptIds.push(parent.conceptId, childResult.conceptId);
    if (running) {
      const stillRunning = await fromUrl(user, images.serve(`/slower-${user.userId}.png`, { body: original, trickle: { chunkBytes: 16, everyMs: 1_000 } }));
      user.taskIds.push(stillRunning.taskId);
    }
    const settled = user.taskIds.slice(0, 4);
    await Promise.all(settled.map(closed));
    // The gateway's status cache records each end (as a user's listing would).
    for (const taskId of settled) await gateway.fetch(`/v1/refinements/${taskId}`, { token: user.token });
  }

  test('removes everything of A, survives a killed worker, leaves B byte-identical, and a second erasure finds nothing', async () => {
    await populate(a, { running: true });
    await populate(b, { running: false });
    // B refined one of A's concepts (the API refuses that; the store allows it, so erasure must cope).
    const crossTask = `erase-cross-${suffix}`;
    const aParent = (await stack.concepts.findById(a.conceptIds[0]))!;
    const cross = await stack.concepts.storeConcept({
      taskId: crossTask,
      userId: b.userId,
      logoDescription: 'A fox',
      themeDescription: 'Autumn',
      imagePath: `refined/${b.userId}/${crossTask}.png`,
      imageUrl: 'http://images.test/cross.png',
      colorPalettes: [],
      isAnonymous: false,
      refinementPrompt: PROMPT,
      originalImageUrl: 'http://images.test/original.png',
      parentConceptId: aParent.id,
    });
    b.taskIds.push(crossTask);
    const crossBefore = await stack.concepts.findById(cross.id);

    const db = gateway.db;
    const bRowsBefore = await rowsMentioning(db, [b.userId, ...b.taskIds]);
    const bBlobsBefore = await blobsOf(b);
    const bRunsBefore = await runsOf(b.userId);
    expect(Object.keys(bRowsBefore).sort()).toEqual(
      expect.arrayContaining(['refined_concepts', 'gateway_refinements', 'gateway_api_keys', 'webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts']),
    );
    expect(bBlobsBefore.size).toBeGreaterThanOrEqual(3); // two refined images and an upload
    expect(bRunsBefore).toHaveLength(4);
    const aRowsBefore = await rowsMentioning(db, [a.userId, ...a.taskIds]);
    expect(Object.keys(aRowsBefore)).toEqual(expect.arrayContaining(['refined_concepts', 'gateway_refinements', 'gateway_api_keys', 'webhook_endpoints']));
    expect((await stack.refinements.progress(a.taskIds[4])).status).toBe('running');

    // No erasure yet: the status route says so.
    expect((await gateway.fetch('/v1/me/erasure', { token: a.token })).status).toBe(404);

    // A asks; the first worker cancels and deletes A's runs, removes A's blobs, then is killed before the rows.
    const accepted = await gateway.fetch('/v1/me/erasure', { method: 'POST', token: a.token });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe('/v1/me/erasure');
    const { erasureId, statusUrl } = (await accepted.json()) as { erasureId: string; statusUrl: string };
    expect(statusUrl).toBe('/v1/me/erasure');
    // A request while it runs joins the same erasure.
    const again = (await (await gateway.fetch('/v1/me/erasure', { method: 'POST', token: a.token })).json()) as { erasureId: string };
    expect(again.erasureId).toBe(erasureId);

    await eventually(async () => (stack.journal().some((e) => e.activity === 'eraseUserRows' && e.phase === 'held') ? true : undefined), 120_000, 'erasure held');
    const midway = (await (await gateway.fetch(statusUrl, { token: a.token })).json()) as any;
    expect(midway.status).toBe('running');
    expect(midway.counts.workflowRuns).toBe(5);
    expect(midway.counts.conceptRows).toBe(0);
    await firstWorker.stop('SIGKILL');
    await stack.startWorker();

    const done = await eventually(
      async () => {
        const status = (await (await gateway.fetch(statusUrl, { token: a.token })).json()) as any;
        return status.status === 'completed' ? status : undefined;
      },
      120_000,
      'erasure completed',
    );
    const rowsAttempts = stack.journal().filter((e) => e.activity === 'eraseUserRows' && e.phase === 'start');
    expect(new Set(rowsAttempts.map((e) => e.pid)).size).toBe(2);

    expect(done).toMatchObject({ erasureId, requestedBy: 'user', finishedAt: expect.any(String) });
    expect(done.counts).toEqual({
      workflowRuns: 5,
      runsCancelled: 1,
      conceptRows: 2,
      lineageLinksDetached: 1,
      refinedImages: 2,
      uploadedOriginals: 1,
      stagedBlobs: 0,
      webhookEndpoints: 2, // the registered endpoint and the child's callback
      webhookDeliveries: 6, // five events to the endpoint, one to the callback
      apiKeys: 1,
      refinementRecords: 5,
      idempotencyKeys: 1,
    });

    // Nothing of A in any table but the audit row, in any store key, or in Temporal.
    const aRowsAfter = await rowsMentioning(db, [a.userId, ...a.taskIds]);
    expect(Object.keys(aRowsAfter)).toEqual(['erasures']);
    expect((await stack.storedKeys()).filter((key) => [a.userId, ...a.taskIds].some((id) => key.includes(id)))).toEqual([]);
    expect(await runsOf(a.userId)).toEqual([]);
    // The histories themselves: Temporal removes them right after the visibility records.
    for (const taskId of a.taskIds) {
      const gone = await eventually(
        () => stack.temporal.workflow.getHandle(`refinement-${taskId}`).describe().then(() => undefined, (err: unknown) => err),
        10_000,
        `history of ${taskId} deleted`,
      );
      expect(gone).toBeInstanceOf(WorkflowNotFoundError);
    }

    // The audit row: who, when, counts; no content.
    const audit = await db('erasures').where({ id: erasureId }).first();
    expect(Object.keys(audit).sort()).toEqual(['counts', 'finished_at', 'id', 'operator', 'requested_at', 'requested_by', 'status', 'subject_user_id']);
    expect(audit).toMatchObject({ subject_user_id: a.userId, requested_by: 'user', operator: null, status: 'completed' });
    expect(Object.keys(JSON.parse(audit.counts)).sort()).toEqual([...ERASURE_COUNT_KINDS].sort());
    const auditText = JSON.stringify(audit);
    for (const secret of [PROMPT, 'fox', '127.0.0.1', ...a.taskIds, ...a.conceptIds]) expect(auditText).not.toContain(secret);

    // B: the same rows and bytes, but for its child of A's concept, which keeps its parent's id, marked deleted.
    const bRowsAfter = await rowsMentioning(db, [b.userId, ...b.taskIds]);
    const withoutCross = (rows: Record<string, string[]>) => ({ ...rows, refined_concepts: rows.refined_concepts.filter((row) => !row.includes(crossTask)) });
    expect(withoutCross(bRowsAfter)).toEqual(withoutCross(bRowsBefore));
    const crossAfter = await stack.concepts.findById(cross.id);
    expect(crossAfter).toMatchObject({ parentConceptId: aParent.id, parentDeleted: true, userId: b.userId });
    expect({ ...crossAfter, parentDeleted: false }).toEqual(crossBefore);
    const bBlobsAfter = await blobsOf(b);
    expect([...bBlobsAfter.keys()]).toEqual([...bBlobsBefore.keys()]);
    for (const [key, bytes] of bBlobsBefore) expect(bBlobsAfter.get(key)!.equals(bytes)).toBe(true);
    expect(await runsOf(b.userId)).toEqual(bRunsBefore);
    // B's own lineage still resolves.
    const bChild = await gateway.fetch(`/v1/concepts/${b.conceptIds[1]}`, { token: b.token });
    expect(bChild.status).toBe(200);

    // The erasure's own history, as the server stores it: the user id and counts, no content.
    const history = (await fetchRawHistory(stack.env.TEMPORAL_ADDRESS!, stack.config.temporal.namespace, `erasure-${a.userId}`)).bytes.toString('utf8');
    expect(history).toContain(a.userId);
    for (const content of [PROMPT, 'Now in winter blues', ...a.taskIds, ...a.conceptIds]) expect(history).not.toContain(content);
    console.log(`erasure (${imageStore} store, worker killed inside it): ${Date.parse(done.finishedAt) - Date.parse(done.requestedAt)} ms from request to completion`);
    recordHistory(`erasure-${imageStore}-worker-killed`, await stack.temporal.workflow.getHandle(`erasure-${a.userId}`).fetchHistory(), ERASURE_SHAPE);

    // A second erasure: a new one, which finds nothing.
    const second = (await (await gateway.fetch('/v1/me/erasure', { method: 'POST', token: a.token })).json()) as { erasureId: string };
    expect(second.erasureId).not.toBe(erasureId);
    const secondDone = await eventually(
      async () => {
        const status = (await (await gateway.fetch(statusUrl, { token: a.token })).json()) as any;
        return status.erasureId === second.erasureId && status.status === 'completed' ? status : undefined;
      },
      60_000,
      'second erasure completed',
    );
    expect(Object.values(secondDone.counts).every((n) => n === 0)).toBe(true);
    console.log(`second erasure (${imageStore} store, nothing left): ${Date.parse(secondDone.finishedAt) - Date.parse(secondDone.requestedAt)} ms`);
    expect(withoutCross(await rowsMentioning(db, [b.userId, ...b.taskIds]))).toEqual(withoutCross(bRowsBefore));
  });

  /** The runs Temporal's visibility lists for a user, as `workflowId status`. */
  async function runsOf(userId: string): Promise<string[]> {
    const runs: string[] = [];
    for await (const run of stack.temporal.workflow.list({ query: `UserId = '${userId}'` })) runs.push(`${run.workflowId} ${run.status.name}`);
    return runs.sort();
  }

  /** Every stored blob (sidecars included) whose key names the user or one of their tasks, with its bytes. */
  async function blobsOf(user: UserData): Promise<Map<string, Buffer>> {
    const keys = (await stack.storedKeys()).filter((key) => [user.userId, ...user.taskIds].some((id) => key.includes(id)));
    return new Map(await Promise.all(keys.map(async (key) => [key, await stack.readStored(key)] as const)));
  }
});

/**
 * Every row of every table in the schema whose text (the whole row cast to text: every column, JSON
 * bodies included) contains one of the needles, by table, sorted. Tables with no such row are absent.
 */
async function rowsMentioning(db: Knex, needles: string[]): Promise<Record<string, string[]>> {
  const tables: string[] = await db('information_schema.tables')
    .where({ table_type: 'BASE TABLE' })
    .andWhere('table_schema', db.raw('current_schema()'))
    .pluck('table_name');
  const found: Record<string, string[]> = {};
  for (const table of tables.sort()) {
    const where = needles.map(() => 'strpos(t::text, ?) > 0').join(' or ');
    const { rows } = await db.raw(`select t::text as row from ?? as t where ${where}`, [table, ...needles]);
    if (rows.length > 0) found[table] = (rows as Array<{ row: string }>).map((r) => r.row).sort();
  }
  return found;
}
