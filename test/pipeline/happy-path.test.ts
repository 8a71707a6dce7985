/**
 * The whole pipeline on a real Temporal server and worker process: on the dev server with PostgreSQL
 * and with the SQLite default, with the filesystem image store and with the S3 store on a real
 * S3-compatible server; on the production server on PostgreSQL with PostgreSQL and S3 (the deployed
 * topology).
 */
import path from 'node:path';
import sharp from 'sharp';
import { combineThemeDescription } from '../../src/adapters/concept-store/concept-store';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';

/** The concept database and the image store do not depend on the Temporal server: every pairing once. */
const cases = temporalServers().flatMap((server, i) =>
  (i === 0
    ? ([['postgres', 'filesystem'], ['sqlite', 'filesystem'], ['postgres', 's3']] as const)
    : ([['postgres', 's3']] as const)
  ).map(([database, imageStore]) => ({ ...server, database, imageStore })),
);

/** Where the store says a key lives: a file under the root, or the S3 object under the stack's prefix. */
function expectedPath(stack: TestStack, key: string): string {
  const store = stack.config.imageStore;
  return store.kind === 'filesystem' ? path.join(store.root, ...key.split('/')) : `s3://${store.bucket}/${store.prefix}/${key}`;
}

describe.each(cases)('refinement on the $name with $database and the $imageStore image store', ({ kind, address, database, imageStore }) => {
  let stack: TestStack;
  let images: ImageServer;
  let original: Buffer;

  beforeAll(async () => {
    [stack, images, original] = await Promise.all([TestStack.create({ database, imageStore, temporalAddress: address }), ImageServer.start(), conceptPng()]);
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
  });

  test('refines, stores the image with its metadata and one concept row with every field', async () => {
    const originalImageUrl = images.serve(`/${kind}-${database}-${imageStore}/fox.png`, { body: original });
    const taskId = `happy-${kind}-${database}-${imageStore}-${Date.now()}`;
    const request = stack.request({ taskId, originalImageUrl, preserveAspects: ['shape'] });
    const started = await stack.refinements.start(request);
    expect(started.taskId).toBe(taskId);

    const result = await stack.refinements.result(taskId);
    expect(result).toEqual({
      conceptId: expect.any(String),
      imagePath: expectedPath(stack, `refined/user-123/${taskId}.png`),
      imageUrl: `http://images.test/refined-store/refined/user-123/${taskId}.png`,
      originalImageUrl,
      taskId,
      // What the refiner did with the prompt; "more autumn-themed … orange and red" is something it does.
      outcome: { status: expect.stringMatching(/^(applied|partly-applied)$/), applied: expect.arrayContaining([expect.any(String)]), notApplied: expect.any(Array) },
    });

    const row = await stack.concepts.findByTaskId(taskId);
    expect(row).toEqual({
      id: result.conceptId,
      taskId,
      userId: 'user-123',
      logoDescription: 'A minimalist fox',
      themeDescription: combineThemeDescription('Modern tech with autumn colors', 'Make it more autumn-themed with orange and red'),
      imagePath: result.imagePath,
      imageUrl: result.imageUrl,
      colorPalettes: [],
      isAnonymous: true,
      refinementPrompt: 'Make it more autumn-themed with orange and red',
      originalImageUrl,
      createdAt: expect.any(Date),
      // Refined from a URL: the first concept of its own lineage.
      parentConceptId: null,
      rootConceptId: result.conceptId,
      parentDeleted: false,
      outcome: result.outcome,
    });
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);

    // The stored image is a refinement of the original: same size, warmer (more red than blue).
    const stored = await stack.readStored(`refined/user-123/${taskId}.png`);
    const [before, after] = await Promise.all([sharp(original).stats(), sharp(stored).stats()]);
    const meta = await sharp(stored).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    expect(after.channels[0].mean - after.channels[2].mean).toBeGreaterThan(before.channels[0].mean - before.channels[2].mean);

    const metadata = await stack.storedMetadata(`refined/user-123/${taskId}.png`);
    expect(metadata.contentType).toBe('image/png');
    expect(metadata.metadata).toMatchObject({
      taskId,
      userId: 'user-123',
      refinementPrompt: request.refinementPrompt,
      logoDescription: request.logoDescription,
      themeDescription: request.themeDescription,
    });

    // Only the published image and its metadata remain: the staged claim checks are gone.
    expect(await stack.storedKeys()).toEqual(stack.keysOfBlobs(`refined/user-123/${taskId}.png`));

    const progress = await stack.refinements.progress(taskId);
    expect(progress).toMatchObject({
      status: 'completed',
      currentStage: null,
      finishedStages: ['download', 'refine', 'storeImage', 'storeConcept'],
      result,
    });
    // Each stage's times, in order: a stage starts once the one before it has finished.
    const times = ['download', 'refine', 'storeImage', 'storeConcept'].map((s) => progress.stageTimes[s as 'download']!);
    times.forEach((t, i) => {
      expect(Date.parse(t.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(t.startedAt));
      if (i > 0) expect(Date.parse(t.startedAt)).toBeGreaterThanOrEqual(Date.parse(times[i - 1]!.finishedAt!));
    });
  });

  test('starting the same task id again returns the same refinement, running or completed', async () => {
    const originalImageUrl = images.serve(`/${kind}-${database}-${imageStore}/again.png`, { body: original });
    const taskId = `again-${kind}-${database}-${imageStore}-${Date.now()}`;
    const first = await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const whileRunning = await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    expect(whileRunning.runId).toBe(first.runId);
    await stack.refinements.result(taskId);
    const afterwards = await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    expect(afterwards.runId).toBe(first.runId);
    expect(images.hits(`/${kind}-${database}-${imageStore}/again.png`)).toBe(1);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
  });
});
