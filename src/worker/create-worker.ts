/**
 * A worker for the `concept-refinement` task queue: adapters from the configuration, the workflow from
 * a prebuilt bundle when there is one (bundling takes seconds; a restarted worker should not wait).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { openAdapters, type Adapters } from '../adapters';
import type { Config } from '../config';
import type { StageAttemptReport } from '../workflows/messages';
import { stageAttemptSignal } from '../workflows/messages';

export interface RefineryWorker {
  worker: Worker;
  /** Closes what the worker used, after `worker.run()` has returned. */
  close(): Promise<void>;
}

export interface CreateWorkerOptions {
  logger: Logger;
  /** Extra worker options (tests add activity interceptors). */
  extra?: Partial<WorkerOptions>;
  /** Wraps the adapters (tests inject faults at these seams). */
  decorateAdapters?: (adapters: Adapters) => Adapters;
}

export async function createRefineryWorker(
  config: Config,
  { logger, extra, decorateAdapters = (a) => a }: CreateWorkerOptions,
): Promise<RefineryWorker> {
  const adapters = decorateAdapters(await openAdapters(config));
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const connection = await NativeConnection.connect({ address: config.temporal.address });

  const reportAttempt = async (workflowId: string, report: StageAttemptReport) => {
    try {
      await client.withDeadline(Date.now() + 2_000, () => client.workflow.getHandle(workflowId).signal(stageAttemptSignal, report));
    } catch (err) {
      logger.warn({ err, workflowId, report }, 'could not report a stage attempt to the workflow');
    }
  };

  const grace = config.worker.shutdownGraceMs;
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(config.worker.workflowBundlePath
      ? { workflowBundle: { codePath: config.worker.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ ...adapters, client, download: config.download, logger, reportAttempt }),
    // In-flight activities get the grace time to finish; past it they are cancelled and retried elsewhere.
    shutdownGraceTime: grace,
    shutdownForceTime: grace + 5_000,
    ...extra,
  });
  return {
    worker,
    close: async () => {
      await adapters.close();
      await connection.close();
      await clientConnection.close();
    },
  };
}
