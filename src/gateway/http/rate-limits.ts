/**
 * Two request limits, both counted per gateway instance:
 *  - per address, in front of authentication: every unknown API key costs a database lookup and
 *    signed /images links need no login, so without it one client could send both without bound;
 *  - per user, on the authenticated routes: after authentication (onRequest), before the body is
 *    read (preParsing), so a flood of uploads is refused unread.
 */
import fastifyRateLimit, { type errorResponseBuilderContext } from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { HttpProblem, ProblemType } from './problems';

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** Liveness and readiness probes come from the platform, often from one address: never limited. */
const UNLIMITED_PATHS = new Set(['/healthz', '/readyz']);

/** A root-level onRequest hook, so it runs before the authenticated routes' own hooks. */
export const addressRateLimit = fp<RateLimit>(
  async (app, limit) => {
    // global: false: this registration only provides app.rateLimit(); routes are not hooked one by one.
    await app.register(fastifyRateLimit, { global: false });
    app.addHook(
      'onRequest',
      app.rateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        keyGenerator: (request) => `address:${request.ip}`,
        allowList: (request) => UNLIMITED_PATHS.has(request.url.split('?')[0]),
        errorResponseBuilder: (_request, context) => rateLimited(context, 'from one address'),
      }),
    );
  },
  { name: 'refinery-address-rate-limit' },
);

/** Register after the user is authenticated (requireUser), in the same scope as the routes it limits. */
export const userRateLimit = fp<RateLimit>(
  async (app, limit) => {
    await app.register(fastifyRateLimit, {
      max: limit.max,
      timeWindow: limit.windowMs,
      hook: 'preParsing',
      keyGenerator: (request) => `user:${request.user.id}`,
      errorResponseBuilder: (_request, context) => rateLimited(context, 'per user'),
    });
  },
  { name: 'refinery-user-rate-limit' },
);

function rateLimited(context: errorResponseBuilderContext, per: string): HttpProblem {
  return new HttpProblem({
    type: ProblemType.rateLimited,
    title: 'Too Many Requests',
    status: context.statusCode,
    detail: `at most ${context.max} requests per ${Math.round(context.ttl / 1000) || 1} s ${per}; retry in ${context.after}`,
  });
}
