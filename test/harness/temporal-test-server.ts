/**
 * The Temporal servers the end-to-end suites run against: the dev server (SQLite, one process) and the
 * production server on PostgreSQL. Both are started once per jest run by global-setup.ts; suites that
 * must restart a server start their own of the same kind.
 */
import { DevServer } from './dev-server';
import { PostgresTemporalServer } from './temporal-server';

/** What a test needs of a Temporal server, whichever kind it is. */
export interface TemporalTestServer {
  /** host:port of the frontend. */
  readonly address: string;
  /** SIGKILL: the server gets no chance to flush or say goodbye. */
  kill(): Promise<void>;
  /** Starts the server again on the same databases and waits until it serves. */
  startProcess(): Promise<void>;
  /** Kills the server and removes everything it stored. */
  stop(): Promise<void>;
}

export type TemporalServerKind = 'dev' | 'postgres';

export interface TemporalServerCase {
  kind: TemporalServerKind;
  /** Readable, for test names: "dev server", "Temporal server on PostgreSQL". */
  name: string;
  /** The run's shared server of this kind. */
  address: string;
  /** A server of this kind of the suite's own (for tests that kill it). */
  start(): Promise<TemporalTestServer>;
}

const NAMES: Record<TemporalServerKind, string> = { dev: 'dev server', postgres: 'Temporal server on PostgreSQL' };
const STARTERS: Record<TemporalServerKind, () => Promise<TemporalTestServer>> = {
  dev: () => DevServer.start(),
  postgres: () => PostgresTemporalServer.start(),
};

/**
 * The servers this run tests against, for `describe.each(temporalServers())('... on the $name', ...)`.
 * TEST_TEMPORAL_SERVERS (e.g. "dev") narrows the set for a quick local run; CI runs both.
 */
export function temporalServers(): TemporalServerCase[] {
  return selectedServerKinds().map((kind) => {
    const address = kind === 'dev' ? process.env.TEST_TEMPORAL_ADDRESS : process.env.TEST_TEMPORAL_PG_ADDRESS;
    if (!address) throw new Error(`no ${NAMES[kind]} in this run: global-setup.ts did not start one`);
    return { kind, name: NAMES[kind], address, start: STARTERS[kind] };
  });
}

export function selectedServerKinds(): TemporalServerKind[] {
  const wanted = (process.env.TEST_TEMPORAL_SERVERS ?? 'dev,postgres').split(',').map((s) => s.trim()).filter(Boolean);
  for (const kind of wanted) {
    if (!(kind in NAMES)) throw new Error(`TEST_TEMPORAL_SERVERS: unknown server "${kind}" (dev, postgres)`);
  }
  return wanted as TemporalServerKind[];
}
