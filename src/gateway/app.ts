/**
 * Builds the gateway's fastify instance from injected dependencies (Temporal client, stores, the
 * gateway's database), so tests and main.ts assemble the same app. Nothing here listens or connects.
 * In order: the server's own settings, the plugins every route shares, then the routes, each a
 * plugin registered under its prefix.
 */
import fastifyMultipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod, type ZodTypeProvider } from 'fastify-type-provider-zod';
import pino, { type Logger } from 'pino';
import { temporalDataConverter } from '../temporal/connection';
import { requireUser } from './auth/require-user';
import { apiDocs } from './http/api-docs';
import { createContext, type GatewayServices, type RouteOptions } from './http/context';
import { clientErrorProblem, errorHandling, frameworkErrorProblem } from './http/errors';
import { loggedRequest, observability, RequestLogLines, requestChildLogger, requestIdOf } from './http/observability';
import { addressRateLimit, userRateLimit } from './http/rate-limits';
import { securityHeaders } from './http/security-headers';
import { codecRoutes } from './routes/codec';
import { conceptRoutes } from './routes/concepts';
import { erasureRoutes } from './routes/erasure';
import { healthRoutes } from './routes/health';
import { imageRoutes } from './routes/images';
import { lineageRoutes } from './routes/lineage';
import { refinementRoutes } from './routes/refinements';
import { webhookRoutes } from './routes/webhooks';
import { webPage, webPageApi } from './routes/web';

export interface GatewayDeps extends GatewayServices {
  /** A pino logger, or false for none (tests). */
  logger?: Logger | false;
}

/** Path parameters longer than this are refused by the router; see buildGateway. */
export const ROUTER_MAX_PARAM_LENGTH = 1024;

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const settings = config.gateway;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; naming the base type keeps the instance type simple.
    // Its `req` serializer logs a request's path without the query string.
    loggerInstance: (deps.logger || pino({ level: 'silent' })).child({}, { serializers: { req: loggedRequest } }) as FastifyBaseLogger,
    bodyLimit: settings.bodyLimitBytes,
    // Behind a proxy the client address would be the proxy's; rate limits key on users, not addresses.
    trustProxy: false,
    // The caller's X-Request-Id or traceparent, else a new id; logged as `requestId` (http/observability.ts).
    genReqId: requestIdOf,
    // One line per request, `request completed`, rather than fastify's two.
    logController: new RequestLogLines({ requestIdLogLabel: 'requestId' }),
    // The request's child binds `requestId`; marked so the log mixin does not add it a second time.
    childLoggerFactory: (logger, bindings, options) => requestChildLogger(logger, bindings, options),
    // Above every id rule (128), so the route's schema decides and names the field; only longer
    // segments are refused by the router itself (414, problem+json through frameworkErrors).
    routerOptions: { maxParamLength: ROUTER_MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorProblem,
    clientErrorHandler: clientErrorProblem,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const ctx = createContext(deps);

  await app.register(observability, deps);
  await app.register(errorHandling);
  await app.register(securityHeaders, { config });
  await app.register(addressRateLimit, settings.addressRateLimit);
  await app.register(fastifyMultipart, { limits: { fileSize: settings.uploadMaxBytes, files: 1 } });
  await app.register(apiDocs);

  await app.register(healthRoutes, { ctx });
  await app.register(webPageApi, { config, refiner: ctx.refiner, prefix: '/v1' });
  await app.register(webPage, { config });
  await app.register(imageRoutes, { ctx, prefix: '/images' });
  // The same codecs as the Temporal clients; none (payloads in clear) means no /codec at all.
  const codecs = temporalDataConverter(config)?.payloadCodecs ?? [];
  if (codecs.length > 0) await app.register(codecRoutes, { ctx, codecs, prefix: '/codec' });
  await app.register(userApi, { ctx });
  return app;
}

/** The API of signed-in users, in a scope of its own: authenticated first, then rate-limited per user. */
const userApi: FastifyPluginAsyncZod<RouteOptions> = async (api, { ctx }) => {
  await api.register(requireUser, { ctx });
  await api.register(userRateLimit, ctx.config.gateway.rateLimit);
  await api.register(refinementRoutes, { ctx, prefix: '/v1/refinements' });
  await api.register(conceptRoutes, { ctx, prefix: '/v1/concepts' });
  await api.register(lineageRoutes, { ctx, prefix: '/v1/concepts' });
  await api.register(webhookRoutes, { ctx, prefix: '/v1/webhooks' });
  await api.register(erasureRoutes, { ctx, prefix: '/v1/me' });
};
