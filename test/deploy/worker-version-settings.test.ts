/**
 * The settings a deploy depends on, without a server: the build id is a hash of the workflow
 * bundle (the same code, the same id; any change, another), and the shutdown drain follows the
 * refine stage's timeout within its bounds, with the force time after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkerConfig, loadDeployConfig } from '../../src/config';
import { msToNumber } from '@temporalio/common';
import { buildIdOf } from '../../src/worker/build-id';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DEFAULT_STAGE_POLICIES } from '../../src/workflows/stage-policies';

describe('the build id', () => {
  test('is a hash of the bundle: two builds of the same code share it, any change makes another', async () => {
    const code = fs.readFileSync(process.env.WORKFLOW_BUNDLE_PATH!, 'utf8');
    expect(buildIdOf(code)).toMatch(/^[0-9a-f]{16}$/);
    // The run's bundle was built by the global setup; this is a second build of the same sources.
    const again = await writeWorkflowBundle(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-bundle-')), 'bundle.js'));
    expect(fs.readFileSync(`${again}.build-id`, 'utf8').trim()).toBe(buildIdOf(code));
    expect(buildIdOf(code.replace('refineConcept', 'refineConcepT'))).not.toBe(buildIdOf(code));
    fs.rmSync(path.dirname(again), { recursive: true, force: true });
  }, 60_000);

  test('the bundle the run uses has its build id written beside it', () => {
    const bundle = process.env.WORKFLOW_BUNDLE_PATH!;
    expect(fs.readFileSync(`${bundle}.build-id`, 'utf8').trim()).toBe(buildIdOf(fs.readFileSync(bundle, 'utf8')));
  });
});

describe('the worker settings', () => {
  test('versioned and pinned by default, in deployment refinery, current only when the deployment has none', () => {
    const config = loadWorkerConfig({});
    expect(config.worker).toMatchObject({ versioning: true, becomeCurrent: 'if-none' });
    expect(config.temporal.deploymentName).toBe('refinery');
    expect(loadDeployConfig({ TEMPORAL_DEPLOYMENT_NAME: 'blue_green-2' }).temporal.deploymentName).toBe('blue_green-2');
    expect(() => loadDeployConfig({ TEMPORAL_DEPLOYMENT_NAME: 'has.dot' })).toThrow('TEMPORAL_DEPLOYMENT_NAME');
    expect(() => loadWorkerConfig({ WORKER_BECOME_CURRENT: 'sometimes' })).toThrow('WORKER_BECOME_CURRENT');
  });

  test("the drain is the refine stage's default startToClose, bounded, and the force time comes after it", () => {
    const refine = msToNumber(DEFAULT_STAGE_POLICIES.refine.startToCloseTimeout);
    expect(loadWorkerConfig({}).worker).toMatchObject({ shutdownGraceMs: refine, shutdownForceMs: refine + 15_000 });
    // The starter's overrides are not the worker's business: they change nothing here.
    expect(loadWorkerConfig({ REFINERY_STAGE_POLICIES: JSON.stringify({ refine: { startToCloseTimeout: '2m' } }) }).worker.shutdownGraceMs).toBe(refine);
    expect(loadWorkerConfig({ WORKER_SHUTDOWN_GRACE_MS: '20000' }).worker).toMatchObject({ shutdownGraceMs: 20_000, shutdownForceMs: 35_000 });
    expect(() => loadWorkerConfig({ WORKER_SHUTDOWN_GRACE_MS: '20000', WORKER_SHUTDOWN_FORCE_MS: '10000' })).toThrow('WORKER_SHUTDOWN_FORCE_MS');
    expect(() => loadWorkerConfig({ WORKER_SHUTDOWN_GRACE_MS: String(16 * 60_000) })).toThrow('WORKER_SHUTDOWN_GRACE_MS');
  });
});
