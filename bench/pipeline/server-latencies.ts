/**
 * The dev server's own latency histograms (its Prometheus `/metrics`), read before and after a stretch
 * of refinements: where inside the server a hop's time goes (history's task queues, matching, the
 * frontend's handlers), as mean milliseconds per observation over that stretch.
 */
import type { DevServer } from '../../test/harness/dev-server';

/** Sum and count of every latency histogram series, by its name and labels. */
export type LatencySnapshot = Map<string, { sum: number; count: number }>;

export async function latencySnapshot(server: DevServer): Promise<LatencySnapshot> {
  if (!server.metricsPort) throw new Error('the dev server was started without metrics');
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  const series: LatencySnapshot = new Map();
  for (const line of text.split('\n')) {
    const match = /^(\w*latency\w*)_(sum|count)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    const key = `${match[1]}${keptLabels(match[3] ?? '')}`;
    const entry = series.get(key) ?? { sum: 0, count: 0 };
    entry[match[2] as 'sum' | 'count'] += Number(match[4]);
    series.set(key, entry);
  }
  return series;
}

/** The series that saw observations between two snapshots, slowest mean first; seconds become ms. */
export function latencyDeltas(before: LatencySnapshot, after: LatencySnapshot, per: number): string[] {
  const rows: { key: string; mean: number; count: number }[] = [];
  for (const [key, now] of after) {
    const then = before.get(key) ?? { sum: 0, count: 0 };
    const count = now.count - then.count;
    if (count <= 0) continue;
    rows.push({ key, mean: ((now.sum - then.sum) / count) * 1000, count });
  }
  rows.sort((a, b) => b.mean - a.mean);
  return rows.map((r) => `${r.mean.toFixed(2).padStart(9)} ms  x${(r.count / per).toFixed(1).padStart(5)}  ${r.key}`);
}

/** Only the labels that tell series apart here (the namespace, host and version are the same everywhere). */
function keptLabels(labels: string): string {
  const kept = [...labels.matchAll(/(\w+)="([^"]*)"/g)]
    .filter(([, name]) => ['operation', 'service_name', 'task_type', 'taskqueue', 'task_category', 'queue_type'].includes(name!))
    .map(([, name, value]) => `${name}=${value}`);
  return kept.length ? `{${kept.join(',')}}` : '';
}
