/** Liveness (the process answers) and readiness (Temporal and the database answer). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
    { schema: { summary: 'Readiness: Temporal and the database reachable', tags: ['health'], response: { 200: checks, 503: checks } } },
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
      const results = {
        temporal: await probe('temporal', () => ctx.temporal.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => ctx.temporal.workflowService.getSystemInfo({}))),
        database: await probe('database', () => Promise.all([ctx.db.raw('select 1'), ctx.conceptStore.ping()])),
      };
      const ready = Object.values(results).every((r) => r === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks: results });
    },
  );
};

function withTimeout<T>(work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS).unref()),
  ]);
}
