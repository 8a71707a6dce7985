/** The whole pipeline on a real dev server and worker process, with PostgreSQL and with the SQLite default. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { combineThemeDescription } from '../src/adapters/concept-store/concept-store';
import { ImageServer } from './support/image-server';
import { conceptPng } from './support/images';
import { TestStack } from './support/stack';

describe.each(['postgres', 'sqlite'] as const)('refinement on %s', (database) => {
  let stack: TestStack;
  let images: ImageServer;
  let original: Buffer;

  beforeAll(async () => {
    [stack, images, original] = await Promise.all([TestStack.create({ database }), ImageServer.start(), conceptPng()]);
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
  });

  test('refines, stores the image with its metadata and one concept row with every field', async () => {
    const originalImageUrl = images.serve(`/${database}/fox.png`, { body: original });
    const taskId = `happy-${database}-${Date.now()}`;
    const request = stack.request({ taskId, originalImageUrl, preserveAspects: ['shape'] });
    const started = await stack.refinements.start(request);
    expect(started.taskId).toBe(taskId);

    const result = await stack.refinements.result(taskId);
    expect(result).toEqual({
      conceptId: expect.any(String),
      imagePath: path.join(stack.config.imageStore.root, 'refined', 'user-123', `${taskId}.png`),
      imageUrl: `http://images.test/refined-store/refined/user-123/${taskId}.png`,
      originalImageUrl,
      taskId,
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
    });
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);

    // The stored image is a refinement of the original: same size, warmer (more red than blue).
    const stored = fs.readFileSync(result.imagePath);
    const [before, after] = await Promise.all([sharp(original).stats(), sharp(stored).stats()]);
    const meta = await sharp(stored).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    expect(after.channels[0].mean - after.channels[2].mean).toBeGreaterThan(before.channels[0].mean - before.channels[2].mean);

    const metadata = JSON.parse(fs.readFileSync(`${result.imagePath}.meta.json`, 'utf8'));
    expect(metadata.metadata).toMatchObject({
      taskId,
      userId: 'user-123',
      refinementPrompt: request.refinementPrompt,
      logoDescription: request.logoDescription,
      themeDescription: request.themeDescription,
    });

    // Only the published image and its metadata remain: the staged claim checks are gone.
    expect(stack.storedFiles()).toEqual([`refined/user-123/${taskId}.png`, `refined/user-123/${taskId}.png.meta.json`]);

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
    const originalImageUrl = images.serve(`/${database}/again.png`, { body: original });
    const taskId = `again-${database}-${Date.now()}`;
    const first = await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    const whileRunning = await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    expect(whileRunning.runId).toBe(first.runId);
    await stack.refinements.result(taskId);
    const afterwards = await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    expect(afterwards.runId).toBe(first.runId);
    expect(images.hits(`/${database}/again.png`)).toBe(1);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
  });
});
