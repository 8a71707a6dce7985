/**
 * How much one 19.5 MB noisy PNG raises this process's peak RSS, stage by stage: the stage functions
 * called in one process as B0 calls them (bench/pipeline/direct.ts), on the shipped defaults (local
 * refiner, SQLite concept store, filesystem image store), the image served from loopback.
 * The issue's target: the whole refinement raises the peak by at most 2x the file.
 *
 * Peak RSS is VmHWM, reset to the current RSS before each stage (/proc/self/clear_refs), so a stage's
 * figure is its own peak above the RSS it started from; the overall figure is the highest of those
 * peaks above the RSS before the first stage. Bytes, not time: CPU contention barely moves them.
 * Each measured refinement runs in a fresh process (after a warm-up), as the pipeline bench's single
 * 20 MB run does: a second large run in one process starts from whatever the first left resident,
 * which moves its figures by tens of MB either way.
 *
 *   npx tsx bench/stage-memory.ts [--runs 5] [--light] [--save before.json] [--compare before.json]
 *
 * --save keeps this run's figures; --compare prints them beside those of a saved run (measure the
 * main branch with --save, then this one with --compare: no switch in the product code needed).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import type { RefinementInput } from '../src/workflows/types';
import { ImageServer } from '../test/harness/image-server';
import { conceptPng, noisyPng } from '../test/harness/images';
import { DirectPipeline, type StageName, type StageRunner } from './pipeline/direct';
import { loadAverage, memory, resetPeakRss } from './pipeline/proc-stats';

const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RUNS = Number(option('--runs') ?? 5);
const SAVE = option('--save');
const COMPARE = option('--compare');
const LIGHT = argv.includes('--light');
/** Set in the child processes: measure one refinement and print its figures as JSON. */
const CHILD = argv.includes('--child');
const STAGES: StageName[] = ['download', 'refine', 'storeImage', 'storeConcept', 'discard'];

/** Peak RSS increase in bytes per stage and overall, for one refinement. */
type Peaks = Record<StageName | 'overall', number>;
interface Saved {
  label: string;
  fileBytes: number;
  loadAverage: string;
  runs: Peaks[];
}

async function measure(pipeline: DirectPipeline, input: RefinementInput): Promise<Peaks> {
  const peaks = {} as Peaks;
  const startRss = memory('self').rss;
  let highest = 0;
  const around: StageRunner = async (stage, run) => {
    resetPeakRss('self');
    const before = memory('self').rss;
    const result = await run();
    const { peak } = memory('self');
    peaks[stage] = peak - before;
    highest = Math.max(highest, peak);
    return result;
  };
  await pipeline.run(input, around);
  peaks.overall = highest - startRss;
  return peaks;
}

/** `total` runs, `inFlight` at a time. */
async function inParallel(total: number, inFlight: number, run: () => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next++ < total) await run();
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function printTable(current: Saved, baseline: Saved | undefined): void {
  const times = (s: Saved, value: number) => `${(value / s.fileBytes).toFixed(2)}x`;
  const cell = (s: Saved, key: StageName | 'overall') => {
    const values = s.runs.map((r) => r[key]);
    const [mid, top] = [median(values), Math.max(...values)];
    return `${mb(mid)} (${times(s, mid)}), max ${mb(top)} (${times(s, top)})`;
  };
  const header = [`stage: median, max of runs`, ...(baseline ? [baseline.label] : []), current.label];
  const rows = [...STAGES, 'overall' as const].map((key) => [key, ...(baseline ? [cell(baseline, key)] : []), cell(current, key)]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** In a child: warm up, then measure one 20 MB refinement. */
async function measureOnce(): Promise<{ fileBytes: number; peaks: Peaks }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-stage-memory-'));
  const [images, small, fiveMb, large] = await Promise.all([
    ImageServer.start(),
    conceptPng(64),
    noisyPng(5 * 1024 * 1024),
    noisyPng(19.5 * 1024 * 1024),
  ]);
  const urls = {
    small: images.serve('/small.png', { body: small }),
    fiveMb: images.serve('/5mb.png', { body: fiveMb }),
    large: images.serve('/20mb.png', { body: large }),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SQLITE_FILE: path.join(dir, 'refinery.sqlite'),
    IMAGE_STORE: 'filesystem',
    IMAGE_STORE_ROOT: path.join(dir, 'images'),
    ALLOW_PRIVATE_IMAGE_HOSTS: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  delete env.DATABASE_URL;
  const pipeline = await DirectPipeline.open(loadConfig(env), path.join(dir, 'direct.log'));
  let counter = 0;
  const request = (originalImageUrl: string): RefinementInput => ({
    taskId: `stage-memory-${process.pid}-${++counter}`,
    userId: 'bench',
    originalImageUrl,
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
  });
  try {
    // By default the warm-up B0 has in `npm run bench:pipeline -- --quick` before its 20 MB run (JIT,
    // libvips, the database, and the heap sizes V8 and malloc settle on), so the figures compare with
    // it. --light: just enough to load everything, i.e. a worker's first large image.
    const warmups: [string, number][] = LIGHT ? [[urls.small, 3], [urls.fiveMb, 1]] : [[urls.small, 18], [urls.fiveMb, 6]];
    for (const [url, times] of warmups) for (let i = 0; i < times; i++) await pipeline.run(request(url));
    if (!LIGHT) await inParallel(64, 32, () => pipeline.run(request(urls.small)));
    return { fileBytes: large.length, peaks: await measure(pipeline, request(urls.large)) };
  } finally {
    await pipeline.close();
    await images.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (CHILD) {
    console.log(JSON.stringify(await measureOnce()));
    return;
  }
  console.log(`load average before: ${loadAverage()} (${os.cpus().length} cores)`);
  const runs: Peaks[] = [];
  let fileBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    // The same interpreter and loader (tsx) as this process, on this script.
    const childArgs = [process.argv[1]!, '--child', ...(LIGHT ? ['--light'] : [])];
    const out = execFileSync(process.execPath, [...process.execArgv, ...childArgs], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { fileBytes: number; peaks: Peaks };
    fileBytes = result.fileBytes;
    runs.push(result.peaks);
    console.log(`run ${i + 1}: ${[...STAGES, 'overall' as const].map((k) => `${k} ${mb(result.peaks[k])}`).join(', ')}`);
  }
  const current: Saved = { label: SAVE ? path.basename(SAVE, '.json') : 'this checkout', fileBytes, loadAverage: loadAverage(), runs };
  const baseline = COMPARE ? (JSON.parse(fs.readFileSync(COMPARE, 'utf8')) as Saved) : undefined;
  if (baseline) baseline.label = `${baseline.label} (load ${baseline.loadAverage})`;
  console.log(`\nfile: ${fileBytes} bytes (${mb(fileBytes)}); peak RSS increase, in MB and as a multiple of the file:`);
  printTable(current, baseline);
  console.log(`target: overall <= 2x the file (${mb(2 * fileBytes)})`);
  console.log(`load average after: ${current.loadAverage}`);
  if (SAVE) fs.writeFileSync(SAVE, JSON.stringify(current, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
