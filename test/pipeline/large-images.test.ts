/**
 * Image bytes stay out of workflow history (the stages pass claim checks), so a 5 MB image leaves a
 * small history, and a 20 MB one works. With RECORD_HISTORIES=1 the histories are written to
 * test/pipeline/histories for the replay test.
 */
import sharp from 'sharp';
import { ImageServer } from '../harness/image-server';
import { noisyPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { recordHistory } from '../harness/histories';

let stack: TestStack;
let images: ImageServer;
beforeAll(async () => {
  [stack, images] = await Promise.all([TestStack.create({ database: 'postgres' }), ImageServer.start()]);
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
  await images?.close();
});

test('a 5 MB image: the history stays under 64 KB', async () => {
  const body = await noisyPng(5 * 1024 * 1024);
  expect(body.length).toBeGreaterThan(5 * 1000 * 1000);
  const taskId = `history-5mb-${Date.now()}`;
  await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve('/5mb.png', { body }) }));
  await stack.refinements.result(taskId);

  const history = await stack.refinements.handle(taskId).fetchHistory();
  const size = Buffer.byteLength(JSON.stringify(history));
  expect(size).toBeLessThan(64 * 1024);
  const description = await stack.refinements.handle(taskId).describe();
  expect(description.historySize).toBeLessThan(64 * 1024);
  recordHistory('completed-5mb', history);
});

test('a 20 MB image is refined end to end', async () => {
  const body = await noisyPng(19.5 * 1024 * 1024);
  expect(body.length).toBeGreaterThan(20 * 1000 * 1000);
  expect(body.length).toBeLessThanOrEqual(stack.config.download.maxBytes);
  const taskId = `large-20mb-${Date.now()}`;
  await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve('/20mb.png', { body }) }));
  const result = await stack.refinements.result(taskId);
  const [inMeta, outMeta] = await Promise.all([sharp(body).metadata(), sharp(result.imagePath).metadata()]);
  expect([outMeta.width, outMeta.height]).toEqual([inMeta.width, inMeta.height]);
  expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
});

test('a failed refinement (not an image) for the replay set', async () => {
  const taskId = `failed-${Date.now()}`;
  const originalImageUrl = images.serve('/not-image', { body: Buffer.from('<html></html>'), contentType: 'text/html' });
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
  await expect(stack.refinements.result(taskId)).rejects.toMatchObject({ failureType: 'NotAnImageError' });
  if (process.env.RECORD_HISTORIES) recordHistory('failed-not-an-image', await stack.refinements.handle(taskId).fetchHistory());
});
