/**
 * Starts what every suite shares, once per run and in parallel: the Temporal dev server, the
 * production Temporal server on PostgreSQL, an S3-compatible server (SeaweedFS) with a bucket, and one
 * fresh PostgreSQL database for Refinery. Tests find them through TEST_TEMPORAL_ADDRESS (dev),
 * TEST_TEMPORAL_PG_ADDRESS (PostgreSQL), TEST_S3_* (see exportS3) and TEST_DATABASE_URL.
 * TEST_TEMPORAL_SERVERS=dev (or postgres) starts only one Temporal server, for a quick local run.
 */
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { compileForWorkers, workerEntry } from './compiled-workers';
import { DevServer } from './dev-server';
import { ADMIN_DATABASE_URL, adminQuery } from './postgres';
import { S3Server } from './s3-server';
import { PostgresTemporalServer } from './temporal-server';
import { selectedServerKinds, type TemporalTestServer } from './temporal-test-server';

export { ADMIN_DATABASE_URL };

/** The bucket every suite shares; each TestStack and store test works under a prefix of its own. */
export const TEST_S3_BUCKET = 'refinery-test';

/** What global-teardown stops. */
export interface SharedServers {
  temporal: TemporalTestServer[];
  s3?: S3Server;
}

export default async function globalSetup(): Promise<void> {
  const kinds = selectedServerKinds();
  const shared: SharedServers = { temporal: [] };
  (globalThis as { __refineryServers?: SharedServers }).__refineryServers = shared;
  // Bundled once per run: every worker process the tests start loads it instead of bundling again.
  const bundle = writeWorkflowBundle(path.join(os.tmpdir(), `refinery-workflows-${process.pid}.js`));
  const [dev, postgres, s3] = await Promise.allSettled([
    kinds.includes('dev') ? DevServer.start() : undefined,
    kinds.includes('postgres') ? PostgresTemporalServer.start() : undefined,
    S3Server.start(),
  ]);
  for (const s of [dev, postgres]) if (s.status === 'fulfilled' && s.value) shared.temporal.push(s.value);
  if (s3.status === 'fulfilled') shared.s3 = s3.value;
  const failed = [dev, postgres, s3].find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // Jest runs no teardown after a failed setup: stop what did start, or it outlives the run.
    await stopSharedServers(shared);
    throw failed.reason;
  }
  const devServer = (dev as PromiseFulfilledResult<TemporalTestServer | undefined>).value;
  const pgServer = (postgres as PromiseFulfilledResult<TemporalTestServer | undefined>).value;
  // Worker processes run compiled code (see compiled-workers.ts); the CLI tests run the package bin,
  // which runs dist/: build it now if src/ changed, rather than inside the first CLI call.
  const compiled = compileForWorkers();
  process.env.TEST_WORKER_ENTRY = workerEntry(compiled);
  process.env.TEST_COMPILED_DIR = compiled;
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build.js'), '--if-stale'], { stdio: 'inherit' });
  process.env.WORKFLOW_BUNDLE_PATH = await bundle;
  // Suites that take no server from temporalServers() run on the dev server, or the only one there is.
  process.env.TEST_TEMPORAL_ADDRESS = (devServer ?? pgServer)!.address;
  if (pgServer) process.env.TEST_TEMPORAL_PG_ADDRESS = pgServer.address;
  await shared.s3!.createBucket(TEST_S3_BUCKET);
  exportS3(shared.s3!);

  const database = `refinery_test_${process.pid}_${Date.now()}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  process.env.TEST_DATABASE_URL = url.toString();
}

export async function stopSharedServers(shared: SharedServers): Promise<void> {
  await Promise.all([...shared.temporal.map((server) => server.stop().catch(() => undefined)), shared.s3?.stop().catch(() => undefined)]);
}

function exportS3(s3: S3Server): void {
  process.env.TEST_S3_ENDPOINT = s3.endpoint;
  process.env.TEST_S3_BUCKET = TEST_S3_BUCKET;
  process.env.TEST_S3_ACCESS_KEY_ID = s3.admin.accessKeyId;
  process.env.TEST_S3_SECRET_ACCESS_KEY = s3.admin.secretAccessKey;
  // An identity that may read and list but not write: access-denied cases.
  process.env.TEST_S3_READER_ACCESS_KEY_ID = s3.reader.accessKeyId;
  process.env.TEST_S3_READER_SECRET_ACCESS_KEY = s3.reader.secretAccessKey;
}
