/**
 * Liveness (the process answers) and readiness (Temporal, the database and the image store answer).
 * Each readiness probe runs at once with the others and is bounded: a dependency that hangs (a frozen
 * store, a black-holed database) gives "unavailable" within the bound instead of a hung answer.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { healthProbeKey } from '../../adapters/image-store/key-layout';
import { describeError } from '../../errors';
import type { RouteOptions } from '../http/context';

const READINESS_TIMEOUT_MS = 2_000;
const checks = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()) });

export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: Temporal, the database and the image store reachable', tags: ['health'], response: { 200: checks, 503: checks } } },
    async (request, reply) => {
      // Unauthenticated: the answer says which dependency is down, never its error, which names
      // internal addresses; the error goes to the operator's log.
      const probe = async (name: string, check: () => Promise<unknown>) => {
        try {
          await withTimeout(check());
          return 'ok';
        } catch (err) {
          request.log.warn({ check: name, detail: describeError(err) }, 'readiness check failed');
          return 'unavailable';
        }
      };
      const [temporal, database, imageStore] = await Promise.all([
        probe('temporal', () => ctx.temporal.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => ctx.temporal.workflowService.getSystemInfo({}))),
        probe('database', () => Promise.all([ctx.db.raw('select 1'), ctx.conceptStore.ping()])),
        // A lookup of a key that is never written: a real round trip to the store, nothing changed.
        probe('imageStore', () => ctx.imageStore.exists(healthProbeKey(process.pid))),
      ]);
      const results = { temporal, database, imageStore };
      const ready = Object.values(results).every((r) => r === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks: results });
    },
  );
};

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
}
