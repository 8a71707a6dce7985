/**
 * A worker started while PostgreSQL is down: it starts, serves the stages that need no
 * database, and the store-concept stage retries until the database comes up; then the refinement
 * completes with exactly one row. The "database" is a TCP proxy in front of the real PostgreSQL,
 * closed (nothing listens on its port) until the test opens it.
 */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { eventually } from '../harness/expectations';
import { FAST_POLICIES, TestStack } from '../harness/stack';
import { TcpProxy } from '../harness/tcp-proxy';

let stack: TestStack;
let images: ImageServer;
let proxy: TcpProxy;

beforeAll(async () => {
  // storeConcept may retry for as long as the outage lasts (the production default is 50 attempts).
  const stagePolicies = { ...FAST_POLICIES, storeConcept: { ...FAST_POLICIES.storeConcept, maximumAttempts: 200 } };
  [stack, images] = await Promise.all([TestStack.create({ database: 'postgres', stagePolicies }), ImageServer.start()]);
  const real = new URL(process.env.TEST_DATABASE_URL!);
  proxy = await TcpProxy.closed({ host: real.hostname, port: Number(real.port || 5432) });
});
afterAll(async () => {
  await stack?.close();
  await images?.close();
  await proxy?.close();
});

test('a worker started during a database outage refines and stores the image, then the concept once the database is up', async () => {
  const viaProxy = new URL(process.env.TEST_DATABASE_URL!);
  viaProxy.port = String(proxy.port);
  expect(proxy.isOpen).toBe(false);
  await stack.startWorker({ env: { DATABASE_URL: viaProxy.toString() } }); // resolves only once it is running

  const taskId = `db-outage-${Date.now()}`;
  const originalImageUrl = images.serve('/outage/fox.png', { body: await conceptPng() });
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));

  // The stages that need no database complete; storeConcept fails and is retried.
  await eventually(async () => (stack.journal().filter((e) => e.activity === 'storeRefinedConcept' && e.taskId === taskId && e.phase === 'error').length >= 2 ? true : undefined), 60_000, 'storeConcept retrying');
  const ended = (activity: string) => stack.journal().filter((e) => e.activity === activity && e.taskId === taskId && e.phase === 'end').length;
  expect([ended('downloadOriginalImage'), ended('refineConceptImage'), ended('storeRefinedImage')]).toEqual([1, 1, 1]);
  expect(ended('storeRefinedConcept')).toBe(0);
  const progress = await stack.refinements.progress(taskId);
  expect(progress).toMatchObject({ status: 'running', currentStage: 'storeConcept' });
  expect(progress.lastFailure).toMatch(/concept store is not connected yet/);
  expect(await stack.concepts.findByTaskId(taskId)).toBeUndefined();

  await proxy.open();
  const result = await stack.refinements.result(taskId);
  expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
  expect((await stack.concepts.findByTaskId(taskId))?.id).toBe(result.conceptId);
  expect(stack.workers[0].running).toBe(true); // the same worker, never restarted
}, 180_000);
