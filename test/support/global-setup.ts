/**
 * Starts what every suite shares: one Temporal dev server, one fresh PostgreSQL database and one
 * S3-compatible server (SeaweedFS) with a bucket, per run. Tests find them through
 * TEST_TEMPORAL_ADDRESS, TEST_DATABASE_URL and TEST_S3_* (see exportS3).
 */
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DevServer } from './dev-server';
import { S3Server } from './s3-server';

/** The bucket every suite shares; each TestStack and store test works under a prefix of its own. */
export const TEST_S3_BUCKET = 'refinery-test';

export const ADMIN_DATABASE_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function globalSetup(): Promise<void> {
  // Bundled once per run: every worker process the tests start loads it instead of bundling again.
  const bundle = writeWorkflowBundle(path.join(os.tmpdir(), `refinery-workflows-${process.pid}.js`));
  const s3 = S3Server.start().then(async (started) => {
    (globalThis as { __refineryS3Server?: S3Server }).__refineryS3Server = started;
    await started.createBucket(TEST_S3_BUCKET);
    return started;
  });
  const server = await DevServer.start();
  process.env.WORKFLOW_BUNDLE_PATH = await bundle;
  (globalThis as { __refineryDevServer?: DevServer }).__refineryDevServer = server;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  exportS3(await s3);

  const database = `refinery_test_${process.pid}_${Date.now()}`;
  const admin = new PgClient({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  process.env.TEST_DATABASE_URL = url.toString();
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
