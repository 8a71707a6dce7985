/** Worker process entry point: `npm run worker`. Stops gracefully on SIGINT/SIGTERM. */
import '../runtime/compile-cache'; // first: caches the compiled code of every module loaded after it
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createLogger, temporalLogger } from '../logging';
import { createRefineryWorker } from './create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { component: 'worker' });
  Runtime.install({ logger: temporalLogger(logger) });
  const refinery = await createRefineryWorker(config, { logger });
  logger.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'worker started');
  await refinery.run(); // resolves once a shutdown signal has drained the workers
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
