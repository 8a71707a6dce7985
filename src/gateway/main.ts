/** Gateway process entry point: `npm run gateway`. Stops gracefully on SIGINT/SIGTERM. */
import '../runtime/compile-cache'; // first: caches the compiled code of every module loaded after it
import { openAdapters } from '../adapters';
import { classifyDatabaseError } from '../adapters/database/database-errors';
import { waitForImageStore } from '../adapters/image-store';
import { loadGatewayConfig } from '../config';
import { StorageUnavailableError } from '../errors';
import { createLogger } from '../observability/logging';
import { exitOnStartupError } from '../observability/startup-errors';
import { startTracing } from '../observability/tracing';
import { waitUntilReachable } from '../runtime/wait-until-reachable';
import { connectTemporalClient } from '../temporal/connection';
import { GATEWAY_TEMPORAL_CALLS } from './temporal-calls';
import { RefinementClient } from '../client/refinements';
import { buildGateway } from './app';
import { openGatewayDatabase } from './stores/database';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger(config.logLevel, { component: 'gateway' });
  // Before the Temporal client exists, so its start calls carry the request's trace context.
  const tracing = startTracing(config.observability, 'refinery-gateway');
  // An unreachable Temporal is waited for, each wait logged; a wrong address, TLS setting or credential stops the gateway.
  const temporal = await connectTemporalClient(config, { logger }, GATEWAY_TEMPORAL_CALLS);
  const adapters = await openAdapters(config, logger);
  // A wrong store setting stops the gateway here, naming it; an unreachable store is waited for.
  await waitForImageStore(adapters.imageStore, logger);
  // Its own tables: an unreachable database is waited for, like Temporal; any other failure stops the gateway.
  const db = await waitUntilReachable(
    {
      name: 'database',
      attempt: () => openGatewayDatabase(config.database),
      unreachable: (err) => classifyDatabaseError(err, 'open the database') instanceof StorageUnavailableError,
    },
    logger,
  );
  const refinements = new RefinementClient(temporal, {
    taskQueue: config.temporal.taskQueue,
    stagePolicies: config.stagePolicies,
    webhookPolicy: config.webhooks.retry,
  });
  const app = await buildGateway({ config, temporal, refinements, imageStore: adapters.imageStore, conceptStore: adapters.conceptStore, webhookStore: adapters.webhookStore, db, logger });

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'gateway stopping');
    await app.close();
    await Promise.all([db.destroy(), adapters.close(), temporal.connection.close()]);
    await tracing.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.gateway.port, host: config.gateway.host });
  logger.info({ port: config.gateway.port, host: config.gateway.host, docs: '/docs' }, 'gateway listening');
}

main().catch(exitOnStartupError('gateway'));
