import { adminQuery } from './postgres';
import type { TemporalTestServer } from './temporal-test-server';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __refineryTemporalServers?: TemporalTestServer[] }).__refineryTemporalServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  await adminQuery(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
}
