import fs from 'node:fs';
import { Client as PgClient } from 'pg';
import type { DevServer } from './dev-server';
import { ADMIN_DATABASE_URL } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_COMPILED_DIR) fs.rmSync(process.env.TEST_COMPILED_DIR, { recursive: true, force: true });
  await (globalThis as { __refineryDevServer?: DevServer }).__refineryDevServer?.stop();
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  const admin = new PgClient({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
