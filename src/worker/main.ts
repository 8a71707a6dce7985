/** Worker process entry point: `npm run worker`. Stops gracefully on SIGINT/SIGTERM. */
import '../runtime/compile-cache'; // first: caches the compiled code of every module loaded after it
import { loadWorkerConfig } from '../config';
import { createLogger } from '../observability/logging';
import { exitOnStartupError } from '../observability/startup-errors';
import { createRefineryWorker } from './create-worker';
import { installWorkerTelemetry } from './telemetry';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger(config.logLevel, { component: 'worker' });
  const telemetry = await installWorkerTelemetry(config, logger);
  const refinery = await createRefineryWorker(config, { logger, spans: telemetry.tracing });
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      address: config.temporal.address,
      buildId: refinery.buildId,
      deploymentName: refinery.version?.deploymentName ?? '(unversioned)',
      shutdownGraceMs: config.worker.shutdownGraceMs,
    },
    'worker started',
  );
  await refinery.run(); // resolves once a shutdown signal has drained the workers
  await telemetry.shutdown();
  logger.info('worker stopped');
}

main().catch(exitOnStartupError('worker'));
