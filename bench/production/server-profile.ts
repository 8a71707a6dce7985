/**
 * The production Temporal server's own CPU profile: its pprof endpoint (the port
 * deploy/temporal/config/production.yaml opens) sampled during the measured run, and summarised
 * by `go tool pprof` (Go is on every machine that builds the server).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Samples the server's CPU for `seconds` into `file` (a gzipped pprof protobuf). */
export async function captureServerProfile(pprofPort: number, seconds: number, file: string): Promise<void> {
  const answer = await fetch(`http://127.0.0.1:${pprofPort}/debug/pprof/profile?seconds=${seconds}`);
  if (!answer.ok) throw new Error(`the server's pprof endpoint answered ${answer.status}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.from(await answer.arrayBuffer()));
}

/**
 * Where the server's CPU goes, as the share of its samples whose stack passes through each area
 * (pprof's -focus): areas nest (persistence is called from the history API), so they overlap.
 */
const AREAS: [string, string][] = [
  ['gRPC requests (frontend, history, matching handlers)', String.raw`grpc\.\(\*Server\)\.processUnaryRPC`],
  ['frontend service', 'service/frontend'],
  ['history service API (workflow and activity task completions, queries)', 'service/history/api'],
  ['history task queues (transfer, timer, visibility)', 'service/history/queues'],
  ['matching service', 'service/matching'],
  ['persistence on PostgreSQL (SQL)', 'common/persistence/sql'],
  ['metrics (tally)', 'uber-go/tally'],
  ['garbage collector', String.raw`runtime\.gcBgMarkWorker`],
  ['system calls', 'Syscall6'],
];

export async function printServerProfile(title: string, file: string): Promise<void> {
  console.log(`\n${title}: share of its CPU samples whose stack passes through each area (areas nest)`);
  if (!fs.existsSync(file)) return console.log(`no profile was written (${file})`);
  for (const [area, focus] of AREAS) {
    const { stdout } = await run('go', ['tool', 'pprof', '-top', '-nodefraction=0', '-nodecount=100000', `-focus=${focus}`, file], { maxBuffer: 64 * 1024 * 1024 });
    const share = /accounting for \S+, ([\d.]+)% of (\S+) total/.exec(stdout);
    console.log(`  ${(share ? `${Number(share[1]).toFixed(1)}%` : '?').padStart(6)}  ${area}`);
  }
}
