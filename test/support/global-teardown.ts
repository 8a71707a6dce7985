import { Client as PgClient } from 'pg';
import type { DevServer } from './dev-server';
import { ADMIN_DATABASE_URL } from './global-setup';
import type { S3Server } from './s3-server';

export default async function globalTeardown(): Promise<void> {
  await Promise.all([
    (globalThis as { __refineryDevServer?: DevServer }).__refineryDevServer?.stop(),
    (globalThis as { __refineryS3Server?: S3Server }).__refineryS3Server?.stop(),
  ]);
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
