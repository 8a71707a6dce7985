/**
 * A refinement through the Gemini provider (played by its fake) in a real worker process: the
 * original travels inline and the stored image is the model's; a safety block fails the run at
 * once, typed and said; the key reaches neither the history nor the logs.
 */
import fs from 'node:fs';
import sharp from 'sharp';
import { RefinementUnsuccessfulError } from '../../src/client/refinements';
import { FakeGemini, GEMINI_FAKE_REMARK } from '../harness/fake-gemini';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';

const GEMINI_KEY = 'AIzaSyPipelineTest-abcdefghijklmnopqrstu';

let stack: TestStack;
let fake: FakeGemini;
let images: ImageServer;
let original: Buffer;

beforeAll(async () => {
  [fake, images, original] = await Promise.all([FakeGemini.start(GEMINI_KEY), ImageServer.start(), conceptPng()]);
  stack = await TestStack.create({ database: 'sqlite', env: { CONCEPT_PROVIDER: 'gemini', GEMINI_BASE_URL: fake.origin, GEMINI_API_KEY: GEMINI_KEY } });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
  await fake?.close();
  await images?.close();
});
beforeEach(() => fake.reset());

test('completes with the image the model made, and keeps its remark as a note', async () => {
  const taskId = `gemini-ok-${Date.now()}`;
  const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
  const result = await stack.refinements.result(taskId);

  expect(fake.calls).toHaveLength(1);
  expect(fake.calls[0].image?.data.equals(original)).toBe(true);
  // The fake model inverts: the stored pixels are the original's inverted.
  const [stored, before] = await Promise.all([sharp(fs.readFileSync(result.imagePath)).removeAlpha().raw().toBuffer(), sharp(original).removeAlpha().raw().toBuffer()]);
  expect(stored.every((value, i) => value === 255 - before[i])).toBe(true);
  const progress = await stack.refinements.progress(taskId);
  expect(progress.notes).toEqual(expect.arrayContaining(['refined by gemini-2.5-flash-image through the Gemini API', `gemini said: ${GEMINI_FAKE_REMARK}`]));
});

test('a prompt blocked by the safety filters fails the run at once, saying so', async () => {
  const taskId = `gemini-blocked-${Date.now()}`;
  const originalImageUrl = images.serve(`/${taskId}.png`, { body: original });
  fake.willAnswer({ kind: 'withholdImage', finishReason: 'IMAGE_SAFETY' });
  await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
  const err = await stack.refinements.result(taskId).then(() => undefined, (e: unknown) => e);

  if (!(err instanceof RefinementUnsuccessfulError)) throw new Error(`expected the refinement to fail, got ${String(err)}`);
  expect(err.status).toBe('failed');
  expect(err.failureType).toBe('PromptRejectedError');
  expect(err.message).toContain('gemini withheld the image, blocked by its safety filters (finishReason IMAGE_SAFETY)');
  expect(fake.calls).toHaveLength(1); // not retried
  expect(stack.storedFiles().filter((f) => f.includes(taskId))).toEqual([]);

  const history = JSON.stringify(await stack.refinements.handle(taskId).fetchHistory(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
  expect(history).not.toContain(GEMINI_KEY);
  const logs = stack.workers.map((w) => fs.readFileSync(w.logFile, 'utf8')).join('\n');
  expect(logs).not.toContain(GEMINI_KEY);
});
