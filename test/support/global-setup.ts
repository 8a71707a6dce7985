/**
 * Starts what every suite shares: one Temporal dev server and one fresh PostgreSQL database per run.
 * Tests find them through TEST_TEMPORAL_ADDRESS and TEST_DATABASE_URL.
 */
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Client as PgClient } from 'pg';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { compileForWorkers, workerEntry } from './compiled-workers';
import { DevServer } from './dev-server';

export const ADMIN_DATABASE_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function globalSetup(): Promise<void> {
  // Bundled once per run: every worker process the tests start loads it instead of bundling again.
  const bundle = writeWorkflowBundle(path.join(os.tmpdir(), `refinery-workflows-${process.pid}.js`));
  const server = await DevServer.start();
  // Worker processes run compiled code (see compiled-workers.ts); the CLI tests run the package bin,
  // which runs dist/: build it now if src/ changed, rather than inside the first CLI call.
  const compiled = compileForWorkers();
  process.env.TEST_WORKER_ENTRY = workerEntry(compiled);
  process.env.TEST_COMPILED_DIR = compiled;
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build.js'), '--if-stale'], { stdio: 'inherit' });
  process.env.WORKFLOW_BUNDLE_PATH = await bundle;
  (globalThis as { __refineryDevServer?: DevServer }).__refineryDevServer = server;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;

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
