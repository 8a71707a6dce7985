/**
 * A per-address request limit in front of authentication: every unknown API key costs a database
 * lookup and signed /images links need no login, so without it one client could send both without
 * bound. A root-level onRequest hook, so it runs before the /v1 routes' authentication hook (the
 * per-user limit there runs after it). The counter is per gateway instance, like the per-user one.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { HttpProblem, ProblemType } from './problems';

/** Liveness and readiness probes come from the platform, often from one address: never limited. */
const UNLIMITED_PATHS = new Set(['/healthz', '/readyz']);

export async function registerAddressRateLimit(app: FastifyInstance, limit: { max: number; windowMs: number }): Promise<void> {
  // global: false: this registration only provides app.rateLimit(); routes are not hooked one by one.
  await app.register(fastifyRateLimit, { global: false });
  app.addHook(
    'onRequest',
    app.rateLimit({
      max: limit.max,
      timeWindow: limit.windowMs,
      keyGenerator: (request) => `address:${request.ip}`,
      allowList: (request) => UNLIMITED_PATHS.has(request.url.split('?')[0]),
      errorResponseBuilder: (_request, context) =>
        new HttpProblem({
          type: ProblemType.rateLimited,
          title: 'Too Many Requests',
          status: context.statusCode,
          detail: `at most ${context.max} requests per ${Math.round(context.ttl / 1000) || 1} s from one address; retry in ${context.after}`,
        }),
    }),
  );
}
