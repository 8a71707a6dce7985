/** Gateway process entry point: `npm run gateway`. Stops gracefully on SIGINT/SIGTERM. */
import { openAdapters } from '../../adapters';
import { loadConfig } from '../../config';
import { createLogger } from '../../logging';
import { connectTemporalClient } from '../../temporal/connection';
import { RefinementClient } from '../refinements';
import { buildGateway } from './app';
import { openGatewayDatabase } from './database';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { component: 'gateway' });
  const temporal = await connectTemporalClient(config);
  const adapters = await openAdapters(config, logger);
  const db = await openGatewayDatabase(config.database);
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
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.gateway.port, host: config.gateway.host });
  logger.info({ port: config.gateway.port, host: config.gateway.host, docs: '/docs' }, 'gateway listening');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
