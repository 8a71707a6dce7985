/**
 * CPU time of every process of the topology, from /proc: the benchmark's own children (found by their
 * parent, since the Temporal server is started detached), and the PostgreSQL backends that serve this
 * run's databases (found by the database name in their title, so other users of the same PostgreSQL
 * server do not count).
 */
import fs from 'node:fs';
import { cpuMs } from '../pipeline/proc-stats';

/** Direct children of `pid` (every thread's children list). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = readOrEmpty(`/proc/${pid}/task/${tid}/children`).trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  return [pid, ...childPids(pid).flatMap(processTree)];
}

export function commandLine(pid: number): string {
  return readOrEmpty(`/proc/${pid}/cmdline`).replaceAll('\0', ' ').trim();
}

/** CPU of a process and its descendants, in ms; 0 for one that is gone. */
export function treeCpuMs(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) total += safeCpuMs(p);
  return total;
}

/**
 * PostgreSQL backends of some databases: their title is `postgres: <user> <database> <client> <state>`.
 * Backends start and end with their connections, so the sampler reads them every `intervalMs` and keeps
 * each one's last reading: a backend that ends between two readings loses at most its last interval.
 */
export class BackendSampler {
  private readonly lastByPid = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly databases: string[], intervalMs = 500) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  /** CPU of every backend seen so far (live ones read now), in ms. */
  totalMs(): number {
    this.sample();
    let total = 0;
    for (const ms of this.lastByPid.values()) total += ms;
    return total;
  }

  private sample(): void {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      // `postgres: [cluster: ]<user> <database> <client> <state>`
      const database = /^postgres: (?:\S+: )?\S+ (\S+) /.exec(commandLine(pid))?.[1];
      if (database && this.databases.includes(database)) {
        const ms = safeCpuMs(pid);
        if (ms > 0) this.lastByPid.set(pid, ms);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Whole-machine CPU (all cores, busy time), in ms: the `cpu` line of /proc/stat. */
export function machineBusyMs(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / 100;
}

function safeCpuMs(pid: number): number {
  try {
    return cpuMs(pid);
  } catch {
    return 0;
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
