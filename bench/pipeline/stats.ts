/** Percentiles and a fixed-width table: the benchmark's whole presentation layer. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * One-at-a-time runs per latency figure. With a nearest-rank p99, 100 runs or fewer make the p99 the
 * slowest run; at 200 it is the third slowest, and the slowest is printed beside it.
 */
export const LATENCY_RUNS = 200;

/** `p50 / p99 (max)` of one-at-a-time latencies. */
export function latencySummary(values: number[]): string {
  return `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))} (${ms(Math.max(...values))})`;
}

export type Row = [figure: string, direct: string, temporal: string, note?: string];

const PIPELINE_HEADER = ['figure', 'B0 (direct)', 'through Temporal', 'note'];

/** `header`: the columns (the pipeline benchmark's by default); a row may leave its last cells out. */
export function printTable(rows: readonly (string | undefined)[][], header: string[] = PIPELINE_HEADER): void {
  const all = [header, ...rows].map((r) => header.map((_, i) => r[i] ?? ''));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(all[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of all.slice(1)) console.log(line(r));
}

export const ms = (v: number) => `${v.toFixed(0)} ms`;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
