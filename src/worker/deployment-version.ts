/**
 * The worker's place in the Worker Deployment. Versioned workers of a build that is not the
 * deployment's current version get no new refinements: with no current version at all, new
 * refinements go to unversioned workers only, so a fresh deployment would run nothing. A worker
 * therefore makes its own version current when told to (WORKER_BECOME_CURRENT): `if-none` on a
 * deployment that has none yet, `always` for a stack whose only worker a new build replaces.
 * Promoting over another current version is otherwise the operator's step (`refinery deploy promote`).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { DeploymentClient } from '../client/deployments';
import type { BecomeCurrent } from '../config/worker';

export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
}

/** The server knows a version once one of its pollers reached it: until then the change is refused. */
const RETRY_MS = 1_000;
const GIVE_UP_AFTER_MS = 120_000;

/**
 * Makes `version` current according to `policy`, retrying while the server does not know the version
 * yet; logs what it did or why not. Never throws: a worker that could not promote itself still serves
 * the runs pinned to it.
 */
export async function becomeCurrentOnStart(
  client: Client,
  version: WorkerVersion,
  policy: BecomeCurrent,
  logger: Pick<Logger, 'info' | 'warn'>,
  signal: AbortSignal,
): Promise<void> {
  if (policy === 'never') return;
  const deployments = new DeploymentClient(client, version.deploymentName);
  const deadline = Date.now() + GIVE_UP_AFTER_MS;
  let lastError: unknown;
  while (!signal.aborted && Date.now() < deadline) {
    try {
      const view = await deployments.describe();
      if (view.currentBuildId === version.buildId) {
        logger.info({ ...version }, 'this worker version is current: new refinements start on it');
        return;
      }
      if (policy === 'if-none' && view.currentBuildId) {
        logger.info(
          { ...version, currentBuildId: view.currentBuildId },
          `another version is current: this one serves refinements pinned to it, and new ones once promoted (refinery deploy promote ${version.buildId})`,
        );
        return;
      }
      const { previousBuildId } = await deployments.setCurrent(version.buildId, { conflictToken: view.conflictToken });
      logger.info({ ...version, previousBuildId: previousBuildId ?? '(unversioned)' }, 'made this worker version current: new refinements start on it');
      return;
    } catch (err) {
      // Not registered yet (its first poll is on its way), or changed meanwhile by another worker: look again.
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  if (!signal.aborted) logger.warn({ ...version, err: lastError }, 'could not make this worker version current; promote it with refinery deploy promote');
}
