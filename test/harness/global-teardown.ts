import fs from 'node:fs';
import { stopSharedServers, type SharedServers } from './global-setup';
import { adminQuery } from './postgres';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_COMPILED_DIR) fs.rmSync(process.env.TEST_COMPILED_DIR, { recursive: true, force: true });
  const shared = (globalThis as { __refineryServers?: SharedServers }).__refineryServers;
  if (shared) await stopSharedServers(shared);
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  await adminQuery(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
}
