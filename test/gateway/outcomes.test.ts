/**
 * Honest outcomes through every way out of the gateway: what the refiner applied and what it did not
 * in the refinement's view, its event stream, its concept and its webhook event; a prompt the refiner
 * cannot act on as a failure that says so; the configured refiner's capabilities in GET /v1/limits;
 * and refining again keeps the theme the person wrote. Real worker (the local refiner), dev server,
 * PostgreSQL, a receiver for the callbacks.
 */
import { readEvents } from '../harness/gateway';
import { closeWebhookSuite, startBody, startWebhookSuite, type WebhookSuite } from '../harness/webhook-suite';

let suite: WebhookSuite;
let token: string;

beforeAll(async () => {
  suite = await startWebhookSuite({ ALLOW_PRIVATE_WEBHOOK_HOSTS: 'true', WEBHOOK_RETRY_INITIAL_INTERVAL: '1s', WEBHOOK_TIMEOUT_MS: '3000' });
  token = await suite.gateway.token(`outcomes-${process.pid}`);
});
afterAll(() => closeWebhookSuite(suite));

const json = async (path: string) => (await (await suite.gateway.fetch(path, { token })).json()) as any;

async function start(body: object, path = '/v1/refinements') {
  const started = await suite.gateway.fetch(path, { method: 'POST', token, json: body });
  expect(started.status).toBe(202);
  return (await started.json()) as { taskId: string; links: { self: string; events: string } };
}

test('GET /v1/limits names the configured refiner and what it understands, without signing in', async () => {
  const limits = (await (await suite.gateway.fetch('/v1/limits')).json()) as any;
  expect(limits.refiner).toEqual({
    refiner: 'local',
    understands: 'instructions',
    instructions: expect.any(Array),
    preservableAspects: expect.any(Array),
  });
  for (const kind of limits.refiner.instructions) expect(kind).toEqual({ kind: expect.any(String), description: expect.any(String), examples: expect.any(Array) });
});

test('a completed refinement carries its outcome in the view, the event stream, the concept and the webhook event', async () => {
  const callbackUrl = suite.receiver.url('/outcome', [], 200);
  const url = suite.images.serve('/outcome.png', { body: suite.original });
  const { taskId, links } = await start(startBody(url, { refinementPrompt: 'make it warmer', callbackUrl }));

  const events = await readEvents(await suite.gateway.fetch(links.events, { token }));
  const end = events[events.length - 1]!;
  expect(end).toMatchObject({ event: 'end', data: { status: 'completed', failureType: null } });
  const outcome = end.data.outcome;
  expect(outcome.status).toMatch(/^(applied|partly-applied)$/);
  expect(outcome.applied.length).toBeGreaterThan(0);
  // Before the refine stage finished the stream said nothing of an outcome.
  expect(events.filter((e) => !e.data.finishedStages.includes('refine')).every((e) => e.data.outcome === null)).toBe(true);

  const view = await json(links.self);
  expect(view).toMatchObject({ status: 'completed', outcome });
  const concept = await json(`/v1/concepts/${view.conceptId}`);
  expect(concept).toMatchObject({ outcome, themeDescription: 'Modern tech', storedThemeDescription: 'Modern tech (refined: make it warmer)' });

  const [callback] = await suite.receiver.waitFor('/outcome', 1);
  expect(JSON.parse(callback!.body).data.refinement).toMatchObject({ taskId, status: 'completed', failureType: null, outcome, notes: view.notes });
});

test('a prompt the refiner cannot act on fails as InstructionsNotUnderstoodError, with a message that says what it can do', async () => {
  const url = suite.images.serve('/not-understood.png', { body: suite.original });
  const { taskId, links } = await start(startBody(url, { refinementPrompt: 'write a sonnet about the sea' }));
  const events = await readEvents(await suite.gateway.fetch(links.events, { token }));
  const end = events[events.length - 1]!.data;
  expect(end).toMatchObject({ taskId, status: 'failed', failureType: 'InstructionsNotUnderstoodError', conceptId: null, outcome: null });
  expect(end.lastFailure.length).toBeGreaterThan(20);
  expect(await json(links.self)).toMatchObject({ status: 'failed', failureType: 'InstructionsNotUnderstoodError', lastFailure: end.lastFailure });
  // Not retried: a permanent failure of the refine stage, on its first attempt.
  expect(suite.stack.starts('refineConceptImage', taskId)).toBe(1);
});

test('refining again keeps the theme the person wrote, however many times', async () => {
  const url = suite.images.serve('/again.png', { body: suite.original });
  const first = await start(startBody(url, { refinementPrompt: 'make it warmer' }));
  let conceptId = (await suite.stack.refinements.result(first.taskId)).conceptId;
  for (const prompt of ['more contrast', 'make it cooler']) {
    const again = await start({ refinementPrompt: prompt }, `/v1/concepts/${conceptId}/refinements`);
    conceptId = (await suite.stack.refinements.result(again.taskId)).conceptId;
    // What the run was asked: the parent's theme as written, not the stored one grown by "(refined: …)".
    expect((await json(again.links.self)).request.themeDescription).toBe('Modern tech');
  }
  const concept = await json(`/v1/concepts/${conceptId}`);
  expect(concept).toMatchObject({ themeDescription: 'Modern tech', storedThemeDescription: 'Modern tech (refined: make it cooler)' });
  const lineage = await json(`/v1/concepts/${conceptId}/lineage`);
  expect(lineage.chain.map((c: any) => c.themeDescription)).toEqual(['Modern tech', 'Modern tech', 'Modern tech']);
});
