/** The Temporal server itself is killed mid-refinement and restarted on its database (SQLite or PostgreSQL). */
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers, type TemporalTestServer } from '../harness/temporal-test-server';

describe.each(temporalServers())('on the $name', ({ kind, start }) => {
  // A server of the suite's own: killing the run's shared one would break the suites after this one.
  let server: TemporalTestServer;
  let stack: TestStack;
  let images: ImageServer;

  beforeAll(async () => {
    server = await start();
    [stack, images] = await Promise.all([TestStack.create({ database: 'postgres', temporalAddress: server.address }), ImageServer.start()]);
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
    await server?.stop();
  });

  test('a refinement in flight when the server dies completes after it restarts', async () => {
    // The refine stage pauses for 4 s on its first attempt: the server is killed and restarted meanwhile.
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before', ms: 4_000 } });
    const originalImageUrl = images.serve('/restart.png', { body: await conceptPng() });
    const taskId = `server-restart-${kind}-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, originalImageUrl }));
    await stack.waitUntilHeld('refineConceptImage', taskId);

    await server.kill();
    await server.startProcess();

    const result = await stack.refinements.result(taskId);
    expect(result.taskId).toBe(taskId);
    expect(stack.starts('downloadOriginalImage', taskId)).toBe(1);
    expect(await stack.concepts.countByTaskId(taskId)).toBe(1);
    expect(stack.storedFiles().filter((f) => f.includes(taskId))).toHaveLength(2); // the image and its metadata
  });
});
