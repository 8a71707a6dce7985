/**
 * scripts/start-production-like.sh run for real (the Temporal server on PostgreSQL, SeaweedFS, two
 * workers, the gateway) on free ports and its own databases and state folder: a worker that is
 * SIGKILLed is said to be restarted and comes back (a new pid, started and ready), the rest of the
 * stack keeps running, and SIGINT to the process group, as Ctrl-C sends it, leaves no process behind.
 *
 * The whole stack starts in about a minute on an idle machine, several on a busy one: hence the
 * generous timeouts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminQuery, ADMIN_DATABASE_URL } from '../harness/postgres';
import { freePort, freePortInRange } from '../harness/ports';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'start-production-like.sh');
const STARTUP_MS = 240_000;
jest.setTimeout(STARTUP_MS + 120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Distinct free ports below 32768 (the Temporal server keeps membership ports in a SMALLINT). */
async function lowPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePortInRange(20_000, 32_767));
  return [...ports];
}

/** The pids of the process group, the script included. */
function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 5 of /proc/<pid>/stat is the process group; the command name before it may hold spaces.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const cwdOf = (pid: number) => fs.readlinkSync(`/proc/${pid}/cwd`);
const cmdlineOf = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
/** Running, not a zombie waiting to be reaped. */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};
const startedLine = (log: string, pid: number) =>
  log.split('\n').some((line) => {
    try {
      const entry = JSON.parse(line) as { pid?: number; msg?: string };
      return entry.pid === pid && entry.msg === 'worker started';
    } catch {
      return false;
    }
  });

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status === 200;
  } catch {
    return false;
  }
}

let stack: ChildProcess | undefined;
let output = '';
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-production-like-'));
const id = `${process.pid}_${Date.now()}`;
const databases = [`plk_temporal_${id}`, `plk_temporal_vis_${id}`, `plk_refinery_${id}`];

async function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output);
    if (match) return match;
    if (stack?.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${pattern} in the script's output (exit ${stack?.exitCode}):\n${output}`);
    }
    await sleep(250);
  }
}

afterAll(async () => {
  if (stack?.pid && stack.exitCode === null) {
    try {
      process.kill(-stack.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await adminQuery(...databases.map((name) => `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);
  fs.rmSync(state, { recursive: true, force: true });
});

test('a SIGKILLed worker is restarted and said so; SIGINT stops every process', async () => {
  const temporalPorts = await lowPorts(11);
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await lowPorts(8);
  const [gateway, health1, health2] = await Promise.all([freePort(), freePort(), freePort()]);
  const admin = new URL(ADMIN_DATABASE_URL);
  const refineryUrl = new URL(ADMIN_DATABASE_URL);
  refineryUrl.pathname = `/${databases[2]}`;
  const temporalNames = ['FRONTEND', 'FRONTEND_HTTP', 'FRONTEND_MEMBERSHIP', 'HISTORY', 'HISTORY_MEMBERSHIP', 'MATCHING', 'MATCHING_MEMBERSHIP', 'WORKER', 'WORKER_MEMBERSHIP', 'PPROF', 'METRICS'];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PRODUCTION_LIKE_STATE_DIR: state,
    TEMPORAL_SERVER_DB_HOST: admin.hostname,
    TEMPORAL_SERVER_DB_PORT: admin.port || '5432',
    TEMPORAL_SERVER_DB_USER: decodeURIComponent(admin.username) || 'postgres',
    TEMPORAL_SERVER_DB_PASSWORD: decodeURIComponent(admin.password),
    TEMPORAL_SERVER_DB: databases[0],
    TEMPORAL_SERVER_VISIBILITY_DB: databases[1],
    ...Object.fromEntries(temporalNames.map((name, i) => [`TEMPORAL_SERVER_${name}_PORT`, String(temporalPorts[i])])),
    REFINERY_DATABASE_URL: refineryUrl.toString(),
    S3_PORT: String(s3),
    SEAWEEDFS_S3_GRPC_PORT: String(s3Grpc),
    SEAWEEDFS_MASTER_PORT: String(master),
    SEAWEEDFS_MASTER_GRPC_PORT: String(masterGrpc),
    SEAWEEDFS_VOLUME_PORT: String(volume),
    SEAWEEDFS_VOLUME_GRPC_PORT: String(volumeGrpc),
    SEAWEEDFS_FILER_PORT: String(filer),
    SEAWEEDFS_FILER_GRPC_PORT: String(filerGrpc),
    GATEWAY_PORT: String(gateway),
    WORKER_HEALTH_PORT_1: String(health1),
    WORKER_HEALTH_PORT_2: String(health2),
  };
  // Its own process group, as a terminal's foreground job: SIGINT to the group is Ctrl-C.
  stack = spawn('bash', [SCRIPT], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  stack.stdout!.on('data', (chunk) => (output += chunk));
  stack.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => stack!.once('exit', (code, signal) => resolve(code ?? signal!)));
  const pgid = stack.pid!;

  await waitForOutput(/Ctrl-C stops the stack/, STARTUP_MS);

  const members = groupPids(pgid);
  const workers = members.filter((pid) => cmdlineOf(pid).includes('dist/worker/main.js'));
  expect(workers.map((pid) => path.basename(cwdOf(pid))).sort()).toEqual(['worker-1', 'worker-2']);
  const victim = workers.find((pid) => path.basename(cwdOf(pid)) === 'worker-1')!;
  const survivors = members.filter((pid) => pid !== victim && pid !== pgid);
  expect(survivors.length).toBeGreaterThanOrEqual(4); // Temporal, SeaweedFS, worker 2, the gateway

  process.kill(victim, 'SIGKILL');
  const [line, replacement] = await waitForOutput(new RegExp(`^worker-1 \\(pid ${victim}\\) was killed by SIGKILL .*restarted .*as pid (\\d+).*$`, 'm'), 60_000);
  expect(line).toContain('restarted');
  const newPid = Number(replacement);
  expect(newPid).not.toBe(victim);

  // Back: the new process runs as worker 1 (its working directory), says it started, and is ready.
  expect(alive(newPid)).toBe(true);
  expect(path.basename(cwdOf(newPid))).toBe('worker-1');
  const log = path.join(state, 'worker-1.log');
  const deadline = Date.now() + 120_000;
  while (!(startedLine(fs.readFileSync(log, 'utf8'), newPid) && (await ready(`http://127.0.0.1:${health1}/readyz`)))) {
    if (Date.now() > deadline) throw new Error(`worker 1 (pid ${newPid}) did not come back:\n${output}\n${fs.readFileSync(log, 'utf8').slice(-4_000)}`);
    await sleep(500);
  }
  // Nothing else was touched, and the rest of the stack still answers.
  for (const pid of survivors) expect([pid, alive(pid)]).toEqual([pid, true]);
  expect(await ready(`http://127.0.0.1:${gateway}/readyz`)).toBe(true);
  const running = groupPids(pgid);

  process.kill(-pgid, 'SIGINT');
  expect(await exited).toBe(130);
  expect(output).toContain('stopping the production-like stack');
  // Nothing restarted during the stop, and nothing of the group, old or new, is left.
  expect(output.match(/restarted/g)).toHaveLength(1);
  await sleep(500);
  expect(groupPids(pgid)).toEqual([]);
  for (const pid of running) expect([pid, alive(pid)]).toEqual([pid, false]);
});
