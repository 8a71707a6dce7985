/**
 * The workers of one process: one for the `concept-refinement` task queue (the workflow and the cheap
 * stages) and one for its provider queue (the refine stage only, rate-limited across all workers and
 * capped per worker). Adapters come from the configuration; the workflow from a prebuilt bundle when
 * there is one (bundling takes seconds, and a restarted worker should not wait for it).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerDeploymentOptions, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { openAdapters, type Adapters } from '../adapters';
import { waitForImageStore } from '../adapters/image-store';
import { healthProbeKey } from '../adapters/image-store/key-layout';
import { webhookHttpSettings } from '../adapters/http/webhook-sender';
import type { WorkerProcessConfig } from '../config';
import { observabilityInterceptors, observabilitySinks, type SpanDestination } from '../observability/worker-interceptors';
import { connectTemporalClient, connectToTemporalWhenReachable, temporalDataConverter } from '../temporal/connection';
import { buildIdOf } from './build-id';
import { bundleRefineryWorkflows } from './bundle';
import { becomeCurrentOnStart, type WorkerVersion } from './deployment-version';
import { startHealthServer, type HealthProbes } from './health-server';
import { providerTaskQueue, stageAttemptSignal, type StageAttemptReport } from '../workflows/messages';

export interface RefineryWorker {
  workers: Worker[];
  /** The deployment version the workers poll as; undefined: unversioned (WORKER_VERSIONING=false). */
  version?: WorkerVersion;
  /** The build id of the workflow code (a hash of the bundle), also when unversioned. */
  buildId: string;
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
  /** Where the workflow's spans go (installWorkerTelemetry's tracing); none: they are dropped. */
  spans?: SpanDestination;
}

export async function createRefineryWorker(
  config: WorkerProcessConfig,
  { logger, extra, decorateAdapters = (a) => a, spans }: CreateWorkerOptions,
): Promise<RefineryWorker> {
  // Answers from the start: while Temporal or the store is waited for, /livez is ok (waiting is the
  // right thing to do, a restart would not help) and /readyz names what is missing.
  const state: StartingState = { waiting: true, temporal: new Error(`waiting for Temporal at ${config.temporal.address}`) };
  const health = config.worker.health ? await startHealthServer(healthProbes(state), config.worker.health) : undefined;
  const closeHealth = () => new Promise((resolve) => (health ? health.close(resolve) : resolve(undefined)));
  let adapters: Adapters | undefined;
  let client: Client | undefined;
  let connection: NativeConnection | undefined;
  let bundle: { code: string } | undefined;
  // A failure of one part stops the others' waiting too.
  const giveUp = new AbortController();
  try {
    // Independent of each other: done at once, since a restarted worker's start-up delays crash recovery.
    // An unreachable Temporal is waited for (a wrong setting is thrown at once); so is the store, below.
    const waitForTemporal = { logger, signal: giveUp.signal, onWait: (err: unknown) => (state.temporal = err) };
    const opening = openAdapters(config, logger).then((opened) => (state.adapters = adapters = decorateAdapters(opened)));
    const connecting = connectTemporalClient(config, waitForTemporal).then((c) => (state.client = client = c));
    const connectingWorker = connectToTemporalWhenReachable(config, (options) => NativeConnection.connect(options), waitForTemporal).then(
      (c) => (connection = c),
    );
    const loading = workflowBundle(config.worker.workflowBundlePath).then((b) => (bundle = b));
    await Promise.all([opening, connecting, connectingWorker, loading]);
    // A wrong store setting stops the worker here, naming it; an unreachable store is waited for.
    await waitForImageStore(adapters!.imageStore, logger);
  } catch (err) {
    giveUp.abort(err);
    await Promise.allSettled([adapters?.close(), client?.connection.close(), connection?.close(), closeHealth()]);
    throw err;
  }
  return startWorkers(config, { logger, extra, spans }, { adapters: adapters!, client: client!, connection: connection!, bundle: bundle!, state, closeHealth });
}

/** What the health endpoint sees while the worker starts: what is connected yet, and why not. */
interface StartingState {
  waiting: boolean;
  temporal: unknown;
  client?: Client;
  adapters?: Adapters;
  workers?: Worker[];
}

function healthProbes(state: StartingState): HealthProbes {
  const notYet = (what: string) => Promise.reject(new Error(`${what} not opened yet`));
  return {
    live: () => state.waiting || (state.workers?.every((w) => w.getState() === 'RUNNING') ?? false),
    readiness: {
      temporal: () => (state.client ? state.client.workflowService.getSystemInfo({}) : Promise.reject(state.temporal)),
      database: () => (state.adapters ? state.adapters.conceptStore.ping() : notYet('the concept store')),
      // A lookup of a key that never exists: a real round trip to the store, nothing written.
      imageStore: () => (state.adapters ? state.adapters.imageStore.exists(healthProbeKey(process.pid)) : notYet('the image store')),
    },
  };
}

async function startWorkers(
  config: WorkerProcessConfig,
  { logger, extra, spans }: Omit<CreateWorkerOptions, 'decorateAdapters'>,
  {
    adapters,
    client,
    connection,
    bundle,
    state,
    closeHealth,
  }: { adapters: Adapters; client: Client; connection: NativeConnection; bundle: { code: string }; state: StartingState; closeHealth: () => Promise<unknown> },
): Promise<RefineryWorker> {
  const reportAttempt = async (workflowId: string, report: StageAttemptReport) => {
    try {
      await client.withDeadline(Date.now() + 2_000, () => client.workflow.getHandle(workflowId).signal(stageAttemptSignal, report));
    } catch (err) {
      logger.warn({ err, workflowId, report }, 'could not report a stage attempt to the workflow');
    }
  };
  const webhookHttp = webhookHttpSettings(config.webhooks);
  await adapters.conceptService.prepare?.();
  const activities = createActivities({ ...adapters, client, download: config.download, webhookHttp, logger, reportAttempt });

  const buildId = buildIdOf(bundle.code);
  const version: WorkerVersion | undefined = config.worker.versioning ? { deploymentName: config.temporal.deploymentName, buildId } : undefined;
  // Tracing, request ids and refinement outcomes (src/observability); a caller's interceptors run inside ours.
  const observability = observabilityInterceptors();
  const common = {
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    // Both workers poll as one version, so a run pinned to it finds its refine stage on the provider queue too.
    ...(version
      ? { workerDeploymentOptions: { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' } satisfies WorkerDeploymentOptions }
      : {}),
    // Shutdown stops polling; in-flight activities get the grace time to finish (a provider call cut
    // short is paid for twice). Past it they are cancelled and fail with their last heartbeat details,
    // which the retry elsewhere resumes from; past the force time the worker stops regardless.
    shutdownGraceTime: config.worker.shutdownGraceMs,
    shutdownForceTime: config.worker.shutdownForceMs,
    sinks: observabilitySinks(spans),
    ...extra,
    interceptors: {
      ...extra?.interceptors,
      activity: [...observability.activity, ...(extra?.interceptors?.activity ?? [])],
    },
  };
  const { refineConceptImage, ...cheapStages } = activities;
  const mainWorker = Worker.create({
    ...common,
    taskQueue: config.temporal.taskQueue,
    stickyQueueScheduleToStartTimeout: config.worker.stickyTimeoutMs,
    // The bundle carries the workflow interceptors (src/worker/bundle.ts).
    workflowBundle: { code: bundle.code },
    activities: cheapStages,
  });
  const providerWorker = Worker.create({
    ...common,
    taskQueue: providerTaskQueue(config.temporal.taskQueue),
    activities: { refineConceptImage },
    maxConcurrentActivityTaskExecutions: config.provider.maxConcurrentCalls,
    ...(config.provider.ratePerSecond ? { maxTaskQueueActivitiesPerSecond: config.provider.ratePerSecond } : {}),
  });
  let workers: Worker[];
  try {
    workers = await Promise.all([mainWorker, providerWorker]);
  } catch (err) {
    await Promise.allSettled([adapters.close(), client.connection.close(), connection.close(), closeHealth()]);
    throw err;
  }
  state.workers = workers;
  state.waiting = false;
  const stopActivating = new AbortController();
  return {
    workers,
    version,
    buildId,
    run: async () => {
      // Once the pollers run the server knows the version, and it can be made current.
      const activating = version ? becomeCurrentOnStart(client, version, config.worker.becomeCurrent, logger, stopActivating.signal) : undefined;
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        stopActivating.abort();
        await activating;
        await closeHealth();
        await adapters.close();
        await connection.close();
        await client.connection.close();
      }
    },
    shutdown: () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()),
  };
}

/**
 * The configured bundle, else the one `npm run build` prebuilt beside the compiled worker
 * (dist/workflow-bundle.js, made from the same sources in the same build), else bundle at start.
 * The code itself, not its path: its hash is the build id.
 */
async function workflowBundle(configured: string | undefined): Promise<{ code: string }> {
  const prebuilt = path.join(__dirname, '..', 'workflow-bundle.js');
  const codePath = configured ?? (fs.existsSync(prebuilt) ? prebuilt : undefined);
  if (!codePath) return { code: await bundleRefineryWorkflows() };
  try {
    return { code: await fs.promises.readFile(codePath, 'utf8') };
  } catch (err) {
    throw new Error(`cannot read the workflow bundle ${codePath} (${(err as NodeJS.ErrnoException).code ?? err}): check WORKFLOW_BUNDLE_PATH, or run npm run build`);
  }
}
