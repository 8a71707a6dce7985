/**
 * Upgrade and rollback with Worker Versioning on the real server: two builds of the workflow code
 * (the released one, and one whose refineConcept starts with a timer, test/deploy/fixtures), each
 * served by its own worker process polling the same task queues. Runs start on v1; v2 is promoted
 * (`refinery deploy promote`) while they are in flight; runs start on v2; the deployment is rolled
 * back (`refinery deploy rollback`) while those are in flight; runs start on v1 again. Every run
 * completes on the build it started on (its pinned version, which worker ran its activities, and
 * the shape of its history) and no workflow task fails anywhere.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { DeploymentClient } from '../../src/client/deployments';
import { buildIdOf } from '../../src/worker/build-id';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { eventually } from '../harness/expectations';
import { ImageServer } from '../harness/image-server';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';
import { temporalServers } from '../harness/temporal-test-server';
import type { WorkerHandle } from '../harness/worker-handle';

const { EventType } = temporal.api.enums.v1;
const RUNS_PER_STEP = 3;
/** The refine stage of every run's first attempt waits this long: the runs are in flight during each change. */
const HOLD_MS = 6_000;
const V2_HOLD_MS = 25_000;
jest.setTimeout(240_000);

const run = promisify(execFile);

/** The CLI as compiled for this run (test/harness/compiled-workers.ts), else from source. */
function cliCommand(): string[] {
  const entry = process.env.TEST_WORKER_ENTRY;
  return entry ? [path.join(path.dirname(entry), '..', '..', 'src', 'cli', 'main.js')] : ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts')];
}

async function refinery(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...cliCommand(), ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.each(temporalServers())('Worker Versioning on the $name', (server) => {
  let stack: TestStack;
  let images: ImageServer;
  let original: Buffer;
  let deployments: DeploymentClient;
  const builds: Record<'v1' | 'v2', { bundle: string; buildId: string; worker?: WorkerHandle }> = {} as never;

  beforeAll(async () => {
    stack = await TestStack.create({
      database: 'sqlite',
      temporalAddress: server.address,
      env: { WORKER_VERSIONING: 'true', TEMPORAL_DEPLOYMENT_NAME: `versioning-${server.kind}-${process.pid}-${Date.now()}` },
    });
    [images, original] = await Promise.all([ImageServer.start(), conceptPng()]);
    const v1 = process.env.WORKFLOW_BUNDLE_PATH!;
    const v2 = await writeWorkflowBundle(path.join(stack.dir, 'changed-bundle.js'), require.resolve('./fixtures/changed-workflows'));
    builds.v1 = { bundle: v1, buildId: buildIdOf(fs.readFileSync(v1, 'utf8')) };
    builds.v2 = { bundle: v2, buildId: fs.readFileSync(`${v2}.build-id`, 'utf8').trim() };
    deployments = new DeploymentClient(stack.temporal, stack.config.temporal.deploymentName);
  });
  afterAll(async () => {
    await stack?.close();
    await images?.close();
  });

  async function startRuns(step: string): Promise<string[]> {
    const taskIds = Array.from({ length: RUNS_PER_STEP }, (_, i) => `${step}-${i}-${Date.now()}`);
    for (const taskId of taskIds) {
      await stack.refinements.start(stack.request({ taskId, originalImageUrl: images.serve(`/${taskId}.png`, { body: original }) }));
    }
    return taskIds;
  }

  /** Every run's refine stage is held in the worker of `build`: the runs are in flight there. */
  async function heldOn(taskIds: string[], build: 'v1' | 'v2'): Promise<void> {
    const pid = builds[build].worker!.pid;
    await eventually(
      async () => (taskIds.every((taskId) => stack.journal().some((e) => e.activity === 'refineConceptImage' && e.taskId === taskId && e.phase === 'held' && e.pid === pid)) ? true : undefined),
      60_000,
      `runs held on ${build}`,
    );
  }

  test('promote and roll back while runs are in flight: each run finishes on the build it started on', async () => {
    const hold = { activity: 'refineConceptImage', when: 'before' as const, ms: HOLD_MS };
    expect(builds.v1.buildId).not.toBe(builds.v2.buildId);
    // v1 is the first version of the deployment and makes itself current; v2 waits to be promoted.
    builds.v1.worker = await stack.startWorker({ hold, env: { WORKFLOW_BUNDLE_PATH: builds.v1.bundle } });
    // v2's runs stay open longer than the dev server's 2 s drainage checks take to look (below).
    builds.v2.worker = await stack.startWorker({ hold: { ...hold, ms: V2_HOLD_MS }, env: { WORKFLOW_BUNDLE_PATH: builds.v2.bundle, WORKER_BECOME_CURRENT: 'never' } });
    await eventually(async () => ((await deployments.describe().catch(() => undefined))?.currentBuildId === builds.v1.buildId ? true : undefined), 90_000, 'v1 current');
    // The server knows v2 once its workers polled; promoting it earlier would be refused.
    await eventually(async () => ((await deployments.describe()).versions.some((v) => v.buildId === builds.v2.buildId) ? true : undefined), 90_000, 'v2 known');

    const onV1 = await startRuns('v1-first');
    await heldOn(onV1, 'v1');
    const promoted = await refinery(stack.env, 'deploy', 'promote', builds.v2.buildId);
    expect(promoted).toMatchObject({ code: 0 });
    expect(promoted.stdout).toContain(`${builds.v2.buildId} is current (was ${builds.v1.buildId})`);

    const onV2 = await startRuns('v2');
    await heldOn(onV2, 'v2');
    const rolledBack = await refinery(stack.env, 'deploy', 'rollback');
    expect(rolledBack).toMatchObject({ code: 0 });
    expect(rolledBack.stdout).toContain(`${builds.v1.buildId} is current again (was ${builds.v2.buildId})`);

    const onV1Again = await startRuns('v1-again');
    await heldOn(onV1Again, 'v1');
    // v2 still has open runs pinned to it: it is draining, not drained (on the tests' dev server, which
    // checks drainage every 2 s, as much as on the production server, which waits 3 min to look).
    const status = await refinery(stack.env, '--json', 'deploy', 'status');
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout) as { currentBuildId: string; versions: { buildId: string; status: string }[]; pollers: { buildId?: string }[] };
    expect(view.currentBuildId).toBe(builds.v1.buildId);
    expect(view.versions.find((v) => v.buildId === builds.v2.buildId)?.status).toBe('draining');
    expect(new Set(view.pollers.map((p) => p.buildId))).toEqual(new Set([builds.v1.buildId, builds.v2.buildId]));
    // Retiring: refused for the current build, unknown builds are named, a draining one is waited for.
    expect(await refinery(stack.env, 'deploy', 'retire', builds.v1.buildId)).toMatchObject({ code: 5, stdout: expect.stringContaining('is current') });
    expect(await refinery(stack.env, 'deploy', 'retire', 'no-such-build')).toMatchObject({ code: 4 });
    const retiring = await refinery(stack.env, 'deploy', 'retire', builds.v2.buildId, '--timeout', '1', '--interval', '1');
    expect(retiring).toMatchObject({ code: 1, stdout: expect.stringContaining('has not drained'), stderr: expect.stringContaining('is draining') });

    const expected = new Map<string, 'v1' | 'v2'>([...onV1.map((t) => [t, 'v1'] as const), ...onV2.map((t) => [t, 'v2'] as const), ...onV1Again.map((t) => [t, 'v1'] as const)]);
    await Promise.all([...expected.keys()].map((taskId) => stack.refinements.result(taskId)));

    // Its runs closed, the server finds v2 drained, and retire says its workers can stop (the
    // production server's first look comes after 3 min: not waited for here).
    if (server.kind === 'dev') {
      const retired = await refinery(stack.env, 'deploy', 'retire', builds.v2.buildId, '--timeout', '60', '--interval', '1');
      expect(retired).toMatchObject({ code: 0, stdout: expect.stringContaining(`${builds.v2.buildId} is drained: no open refinement runs on it, its workers can be stopped`) });
    }

    // A ramp: a share of new refinements to v2, then stopped.
    expect(await refinery(stack.env, 'deploy', 'ramp', builds.v2.buildId, '25')).toMatchObject({ code: 0 });
    expect((await deployments.describe()).ramping).toEqual({ buildId: builds.v2.buildId, percent: 25 });
    expect(await refinery(stack.env, 'deploy', 'ramp', builds.v2.buildId, '0')).toMatchObject({ code: 0, stdout: expect.stringContaining('ramp stopped') });
    expect((await deployments.describe()).ramping).toBeUndefined();
    expect(await refinery(stack.env, 'deploy', 'ramp', builds.v2.buildId, '120')).toMatchObject({ code: 2 });

    const journal = stack.journal();
    for (const [taskId, build] of expected) {
      const handle = stack.refinements.handle(taskId);
      const { raw } = await handle.describe();
      const versioning = raw.workflowExecutionInfo?.versioningInfo;
      expect({ taskId, buildId: versioning?.deploymentVersion?.buildId, behavior: versioning?.behavior }).toEqual({
        taskId,
        buildId: builds[build].buildId,
        behavior: temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
      });
      const events = (await handle.fetchHistory()).events ?? [];
      expect({ taskId, failedTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length }).toEqual({ taskId, failedTasks: 0 });
      // The changed build's shape: its runs, and only those, start with a timer.
      expect({ taskId, timers: events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) }).toEqual({ taskId, timers: build === 'v2' });
      const pids = new Set(journal.filter((e) => e.taskId === taskId).map((e) => e.pid));
      expect({ taskId, pids: [...pids] }).toEqual({ taskId, pids: [builds[build].worker!.pid] });
    }
  });
});
