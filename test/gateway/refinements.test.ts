/** The gateway end to end over HTTP: real Temporal server (dev, and production on PostgreSQL), worker process, PostgreSQL. */
import sharp from 'sharp';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { readEvents, TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';

const request = (originalImageUrl: string) => ({
  originalImageUrl,
  refinementPrompt: 'Make it more autumn-themed with orange and red',
  logoDescription: 'A minimalist fox',
  themeDescription: 'Modern tech with autumn colors',
});

describe.each(temporalServers())('gateway refinements on the $name', ({ kind, address }) => {
  // The gateway's tables are shared by the run: users of their own per server keep listings apart.
  const alice = `alice-${kind}`;
  const bob = `bob-${kind}`;
  const lister = `lister-${kind}`;
  let stack: TestStack;
  let gateway: TestGateway;
  let images: ImageServer;
  let original: Buffer;
  let token: string;

  beforeAll(async () => {
    [stack, images, original] = await Promise.all([TestStack.create({ database: 'postgres', temporalAddress: address }), ImageServer.start(), conceptPng()]);
    await stack.startWorker();
    gateway = await TestGateway.start(stack);
    token = await gateway.token(alice);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await images?.close();
  });

  test('start → SSE events → completed → concept → image through its signed URL; expired or altered links refused', async () => {
    const url = images.serve('/fox.png', { body: original });
    const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: request(url) });
    expect(started.status).toBe(202);
    const { taskId, status, links } = (await started.json()) as any;
    expect(status).toBe('running');
    expect(links).toEqual({ self: `/v1/refinements/${taskId}`, events: `/v1/refinements/${taskId}/events`, cancel: `/v1/refinements/${taskId}/cancel` });

    const stream = await gateway.fetch(links.events, { token });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(stream);
    const last = events[events.length - 1];
    expect(last.event).toBe('end');
    expect(last.data).toMatchObject({ taskId, status: 'completed', finishedStages: ['download', 'refine', 'storeImage', 'storeConcept'] });
    expect(events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);

    const view = (await (await gateway.fetch(links.self, { token })).json()) as any;
    expect(view).toMatchObject({ status: 'completed', conceptId: last.data.conceptId, links: { concept: `/v1/concepts/${last.data.conceptId}` } });
    // The owner sees what was asked, the original as given (a URL here, so not re-signed) and the refiner's notes.
    expect(view.request).toEqual({ ...request(url), originalImageUrl: undefined, preserveAspects: [] });
    expect(view.original).toEqual({ url, uploaded: false });
    expect(view.notes).toEqual([expect.stringMatching(/^applied: palette → autumn theme, orange \(#ffa500\) and red \(#ff0000\): /)]);
    const listed = (await (await gateway.fetch('/v1/refinements?limit=100', { token })).json()) as any;
    const item = listed.items.find((i: any) => i.taskId === taskId);
    expect(item).toMatchObject({ refinementPrompt: request(url).refinementPrompt, conceptId: view.conceptId });
    expect(item.thumbnailUrl).toMatch(new RegExp(`^${gateway.origin}/images/refined/${alice}/${taskId}\\.png\\?expires=`));
    expect((await fetch(item.thumbnailUrl)).status).toBe(200);

    const conceptResponse = await gateway.fetch(`/v1/concepts/${view.conceptId}`, { token });
    expect(conceptResponse.status).toBe(200);
    const concept = (await conceptResponse.json()) as any;
    expect(concept).toMatchObject({ id: view.conceptId, taskId, originalImageUrl: url, isAnonymous: false, logoDescription: 'A minimalist fox' });
    expect(concept.imageUrl).toMatch(new RegExp(`^${gateway.origin}/images/refined/${alice}/${taskId}\\.png\\?expires=\\d+&signature=`));

    const image = await fetch(concept.imageUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);

    const key = `refined/${alice}/${taskId}.png`;
    const expired = gateway.signer(() => Date.now() - 2 * 3600_000).sign(key).url;
    expect((await fetch(expired)).status).toBe(403);
    const altered = new URL(concept.imageUrl);
    altered.searchParams.set('expires', String(Number(altered.searchParams.get('expires')) + 3600));
    expect((await fetch(altered)).status).toBe(403);
    const otherImage = concept.imageUrl.replace(`${taskId}.png`, 'someone-else.png');
    expect((await fetch(otherImage)).status).toBe(403);
    expect((await fetch(`${gateway.origin}/images/${key}`)).status).toBe(403);
  });

  test('a retried start with the same Idempotency-Key returns the same refinement; a different body with it is refused', async () => {
    const url = images.serve('/idem.png', { body: original });
    const send = (body: object) => gateway.fetch('/v1/refinements', { method: 'POST', token, json: body, headers: { 'idempotency-key': 'idem-key-1' } });
    const first = await send(request(url));
    const second = await send(request(url));
    expect([first.status, second.status]).toEqual([202, 202]);
    const [a, b] = [(await first.json()) as any, (await second.json()) as any];
    expect(b.taskId).toBe(a.taskId);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await stack.refinements.result(a.taskId);
    const afterwards = await send(request(url));
    expect(((await afterwards.json()) as any).taskId).toBe(a.taskId);
    expect(images.hits('/idem.png')).toBe(1);

    const different = await send({ ...request(url), refinementPrompt: 'Something else' });
    expect(different.status).toBe(422);
    expect((await different.json()) as any).toMatchObject({ status: 422, type: 'urn:refinery:problem:idempotency-key-reused' });
    // Another user's identical key is theirs alone.
    const bobs = await gateway.fetch('/v1/refinements', { method: 'POST', token: await gateway.token(bob), json: request(url), headers: { 'idempotency-key': 'idem-key-1' } });
    expect(((await bobs.json()) as any).taskId).not.toBe(a.taskId);
  });

  test('upload path: multipart image is stored, refined and never fetched from a URL', async () => {
    const form = new FormData();
    form.set('refinementPrompt', 'Make it warmer');
    form.set('logoDescription', 'A fox');
    form.set('themeDescription', 'Autumn');
    form.append('preserveAspects', 'shape');
    form.append('preserveAspects', 'layout');
    form.set('image', new Blob([original], { type: 'image/png' }), 'fox.png');
    const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, body: form });
    expect(started.status).toBe(202);
    const { taskId } = (await started.json()) as any;
    const result = await stack.refinements.result(taskId);
    // History and the concept row hold a reference, not a credential...
    expect(result.originalImageUrl).toBe(`upload:${taskId}`);
    const history = JSON.stringify(await stack.refinements.handle(taskId).fetchHistory());
    expect(history).not.toMatch(/signature=/);
    expect((await stack.concepts.findById(result.conceptId))?.originalImageUrl).toBe(`upload:${taskId}`);
    // ...and the owner gets a freshly signed link that serves the upload.
    const concept = (await (await gateway.fetch(`/v1/concepts/${result.conceptId}`, { token })).json()) as any;
    expect(concept.originalImageUrl).toMatch(new RegExp(`^${gateway.origin}/images/uploads/${taskId}/original\\?expires=`));
    const uploaded = await fetch(concept.originalImageUrl);
    expect(Buffer.from(await uploaded.arrayBuffer()).equals(original)).toBe(true);

    const tooBig = new FormData();
    tooBig.set('refinementPrompt', 'x');
    tooBig.set('logoDescription', 'x');
    tooBig.set('themeDescription', 'x');
    tooBig.set('image', new Blob([Buffer.alloc(gateway.config.gateway.uploadMaxBytes + 1)]), 'big.png');
    const refused = await gateway.fetch('/v1/refinements', { method: 'POST', token, body: tooBig });
    expect(refused.status).toBe(413);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('cancel mid-refinement ends cancelled; cancelling a completed one answers 409', async () => {
    const held = await TestStack.create({ database: 'postgres', temporalAddress: address });
    try {
      await held.startWorker({ hold: { activity: 'refineConceptImage', when: 'before' } });
      const heldGateway = await TestGateway.start(held);
      try {
        const t = await heldGateway.token(alice);
        const url = images.serve('/held.png', { body: original });
        const { taskId } = (await (await heldGateway.fetch('/v1/refinements', { method: 'POST', token: t, json: request(url) })).json()) as any;
        await held.waitUntilHeld('refineConceptImage', taskId);
        const cancel = await heldGateway.fetch(`/v1/refinements/${taskId}/cancel`, { method: 'POST', token: t, json: { reason: 'changed my mind' } });
        expect(cancel.status).toBe(202);
        expect((await cancel.json()) as any).toEqual({ taskId, status: 'cancelling' });
        const events = await readEvents(await heldGateway.fetch(`/v1/refinements/${taskId}/events`, { token: t }));
        expect(events[events.length - 1].data).toMatchObject({ status: 'cancelled', cancellation: { reason: 'changed my mind', outcome: 'cancelled' } });
        const list = (await (await heldGateway.fetch('/v1/refinements?status=cancelled', { token: t })).json()) as any;
        expect(list.items.map((i: { taskId: string }) => i.taskId)).toEqual([taskId]);
      } finally {
        await heldGateway.close();
      }
    } finally {
      await held.close();
    }

    const url = images.serve('/done.png', { body: original });
    const { taskId } = (await (await gateway.fetch('/v1/refinements', { method: 'POST', token, json: request(url) })).json()) as any;
    await stack.refinements.result(taskId);
    const late = await gateway.fetch(`/v1/refinements/${taskId}/cancel`, { method: 'POST', token });
    expect(late.status).toBe(409);
    expect((await late.json()) as any).toMatchObject({ status: 409, type: 'urn:refinery:problem:not-cancellable' });
    expect((await stack.refinements.progress(taskId)).status).toBe('completed');
  });

  test('list: own refinements newest first, paginated, filtered by status', async () => {
    const t = await gateway.token(lister);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const url = images.serve(`/list-${i}.png`, { body: original });
      ids.push(((await (await gateway.fetch('/v1/refinements', { method: 'POST', token: t, json: request(url) })).json()) as any).taskId);
    }
    await Promise.all(ids.map((id) => stack.refinements.result(id)));
    const first = (await (await gateway.fetch('/v1/refinements?limit=2', { token: t })).json()) as any;
    expect(first.items.map((i: { taskId: string }) => i.taskId)).toEqual([ids[2], ids[1]]);
    const second = (await (await gateway.fetch(`/v1/refinements?limit=2&cursor=${first.nextCursor}`, { token: t })).json()) as any;
    expect(second).toMatchObject({ items: [{ taskId: ids[0], status: 'completed' }], nextCursor: null });
    const completed = (await (await gateway.fetch('/v1/refinements?status=completed', { token: t })).json()) as any;
    expect(completed.items).toHaveLength(3);
    const running = (await (await gateway.fetch('/v1/refinements?status=running', { token: t })).json()) as any;
    expect(running.items).toHaveLength(0);
  });

  test('health and readiness', async () => {
    expect((await gateway.fetch('/healthz')).status).toBe(200);
    const ready = await gateway.fetch('/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json()) as any).toEqual({ status: 'ok', checks: { temporal: 'ok', database: 'ok', imageStore: 'ok' } });
  });
});
