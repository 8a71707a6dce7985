/**
 * The worker's own health endpoint (off unless WORKER_HEALTH_PORT is set), for container
 * HEALTHCHECKs and orchestrator probes. node:http is enough for two routes, and keeps fastify out
 * of the worker.
 *  - GET /livez: 200 while the process waits at start-up for Temporal or the image store (waiting
 *    is what it should do; a restart would not help) and while every Temporal worker of the process
 *    is running (polling); 503 between the two and once shutdown has begun.
 *  - GET /readyz: 200 when Temporal, the database and the image store answer now; 503 with which
 *    one does not (while waiting at start-up, why). Each check is bounded, so a dependency that
 *    hangs makes the answer "not ready", never a hung answer. A worker that is not ready still
 *    runs: it retries what needs the missing service.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../errors';

export interface HealthProbes {
  /** True while the pollers run. */
  live(): boolean;
  /** Each resolves when its service answers. */
  readiness: Record<string, () => Promise<unknown>>;
}

const PROBE_TIMEOUT_MS = 2_000;

export async function startHealthServer(probes: HealthProbes, { port, host }: { port: number; host: string }): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    const route = request.method === 'GET' || request.method === 'HEAD' ? new URL(request.url ?? '/', 'http://worker').pathname : '';
    if (route === '/livez') {
      const live = probes.live();
      return answer(live ? 200 : 503, { status: live ? 'ok' : 'unavailable' });
    }
    if (route === '/readyz') {
      void readiness(probes.readiness).then((checks) => {
        const ready = Object.values(checks).every((c) => c === 'ok');
        answer(ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', checks });
      });
      return;
    }
    answer(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}

async function readiness(checks: HealthProbes['readiness']): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS))),
        ]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, describeError(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

export const healthServerPort = (server: http.Server) => (server.address() as AddressInfo).port;
