/**
 * The production Temporal server's own request counters (its Prometheus endpoint, the one
 * deploy/temporal/config/production.yaml opens): calls its frontend answered, by operation, and calls
 * it made to its persistence (PostgreSQL). Counts, unlike CPU time, are not blurred by a busy machine.
 */
import fs from 'node:fs';

/** A port the server was started with (TEMPORAL_SERVER_METRICS_PORT, TEMPORAL_SERVER_PPROF_PORT), read from its environment. */
export function serverPortOf(pid: number, variable: string): number {
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const entry = environ.find((e) => e.startsWith(`${variable}=`));
  if (!entry) throw new Error(`the Temporal server was started without ${variable}`);
  return Number(entry.split('=')[1]);
}

export interface RequestCounts {
  frontend: Map<string, number>;
  persistence: Map<string, number>;
}

export async function requestCounts(metricsPort: number): Promise<RequestCounts> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const frontend = new Map<string, number>();
  const persistence = new Map<string, number>();
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('service_requests{') && line.includes('service_name="frontend"')) {
      const operation = /operation="([^"]+)"/.exec(line)?.[1] ?? '?';
      frontend.set(operation, (frontend.get(operation) ?? 0) + value);
    } else if (line.startsWith('persistence_requests{')) {
      const operation = /operation="([^"]+)"/.exec(line)?.[1] ?? '?';
      persistence.set(operation, (persistence.get(operation) ?? 0) + value);
    }
  }
  return { frontend, persistence };
}

/** Per refinement between two readings: the busiest operations of the frontend and of persistence. */
export function perRefinement(before: RequestCounts, after: RequestCounts, n: number, top = 8) {
  const frontend = delta(before.frontend, after.frontend, n);
  const persistence = delta(before.persistence, after.persistence, n);
  const sum = (rows: [string, number][]) => rows.reduce((total, [, c]) => total + c, 0);
  return { frontend: frontend.slice(0, top), frontendTotal: sum(frontend), persistence: persistence.slice(0, top), persistenceTotal: sum(persistence) };
}

function delta(before: Map<string, number>, after: Map<string, number>, n: number): [string, number][] {
  return [...after]
    .map(([op, count]): [string, number] => [op, (count - (before.get(op) ?? 0)) / n])
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
}
