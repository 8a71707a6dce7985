/**
 * The workers of one process: one for the `concept-refinement` task queue (the workflow and the cheap
 * stages) and one for its provider queue (the refine stage only, rate-limited across all workers and
 * capped per worker). Adapters come from the configuration; the workflow from a prebuilt bundle when
 * there is one (bundling takes seconds, and a restarted worker should not wait for it).
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { openAdapters, type Adapters } from '../adapters';
import { webhookHttpSettings } from '../adapters/http/webhook-sender';
import type { Config } from '../config';
import { connectTemporalClient, temporalConnectionOptions, temporalDataConverter } from '../temporal/connection';
import { providerTaskQueue, stageAttemptSignal, type StageAttemptReport } from '../workflows/messages';

export interface RefineryWorker {
  workers: Worker[];
  /** Runs until a shutdown signal (SIGINT/SIGTERM) has drained every worker, then closes connections. */
  run(): Promise<void>;
  shutdown(): void;
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
  const adapters = decorateAdapters(await openAdapters(config, logger));
  const client = await connectTemporalClient(config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));

  const reportAttempt = async (workflowId: string, report: StageAttemptReport) => {
    try {
      await client.withDeadline(Date.now() + 2_000, () => client.workflow.getHandle(workflowId).signal(stageAttemptSignal, report));
    } catch (err) {
      logger.warn({ err, workflowId, report }, 'could not report a stage attempt to the workflow');
    }
  };
  const webhookHttp = webhookHttpSettings(config.webhooks);
  const activities = createActivities({ ...adapters, client, download: config.download, webhookHttp, logger, reportAttempt });

  const grace = config.worker.shutdownGraceMs;
  const common = {
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    // In-flight activities get the grace time to finish; past it they are cancelled and retried elsewhere.
    shutdownGraceTime: grace,
    shutdownForceTime: grace + 5_000,
    ...extra,
  };
  const { refineConceptImage, ...cheapStages } = activities;
  const main = await Worker.create({
    ...common,
    taskQueue: config.temporal.taskQueue,
    stickyQueueScheduleToStartTimeout: config.worker.stickyTimeoutMs,
    ...(config.worker.workflowBundlePath
      ? { workflowBundle: { codePath: config.worker.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: cheapStages,
  });
  const provider = await Worker.create({
    ...common,
    taskQueue: providerTaskQueue(config.temporal.taskQueue),
    activities: { refineConceptImage },
    maxConcurrentActivityTaskExecutions: config.provider.maxConcurrentCalls,
    ...(config.provider.ratePerSecond ? { maxTaskQueueActivitiesPerSecond: config.provider.ratePerSecond } : {}),
  });
  const workers = [main, provider];
  return {
    workers,
    run: async () => {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        await adapters.close();
        await connection.close();
        await client.connection.close();
      }
    },
    shutdown: () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()),
  };
}
