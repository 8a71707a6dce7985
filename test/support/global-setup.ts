/**
 * Starts what every suite shares, once per run: the Temporal dev server and the production Temporal
 * server on PostgreSQL (in parallel), and one fresh PostgreSQL database for Refinery. Tests find them
 * through TEST_TEMPORAL_ADDRESS (dev), TEST_TEMPORAL_PG_ADDRESS (PostgreSQL) and TEST_DATABASE_URL.
 * TEST_TEMPORAL_SERVERS=dev (or postgres) starts only one of them, for a quick local run.
 */
import os from 'node:os';
import path from 'node:path';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DevServer } from './dev-server';
import { ADMIN_DATABASE_URL, adminQuery } from './postgres';
import { PostgresTemporalServer } from './temporal-server';
import { selectedServerKinds, type TemporalTestServer } from './temporal-test-server';

export { ADMIN_DATABASE_URL };

export default async function globalSetup(): Promise<void> {
  const kinds = selectedServerKinds();
  const servers: TemporalTestServer[] = [];
  (globalThis as { __refineryTemporalServers?: TemporalTestServer[] }).__refineryTemporalServers = servers;
  // Bundled once per run: every worker process the tests start loads it instead of bundling again.
  const bundle = writeWorkflowBundle(path.join(os.tmpdir(), `refinery-workflows-${process.pid}.js`));
  const starting = await Promise.allSettled([
    kinds.includes('dev') ? DevServer.start() : undefined,
    kinds.includes('postgres') ? PostgresTemporalServer.start() : undefined,
  ]);
  for (const s of starting) if (s.status === 'fulfilled' && s.value) servers.push(s.value);
  const failed = starting.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // Jest runs no teardown after a failed setup: stop what did start, or it outlives the run.
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    throw failed.reason;
  }
  const [dev, postgres] = starting.map((s) => (s as PromiseFulfilledResult<TemporalTestServer | undefined>).value);
  process.env.WORKFLOW_BUNDLE_PATH = await bundle;
  // Suites that take no server from temporalServers() run on the dev server, or the only one there is.
  process.env.TEST_TEMPORAL_ADDRESS = (dev ?? postgres)!.address;
  if (postgres) process.env.TEST_TEMPORAL_PG_ADDRESS = postgres.address;

  const database = `refinery_test_${process.pid}_${Date.now()}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  process.env.TEST_DATABASE_URL = url.toString();
}
