/**
 * Builds the gateway's fastify instance from injected dependencies (Temporal client, stores, the
 * gateway's database), so tests and main.ts assemble the same app. Nothing here listens or connects.
 */
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import pino, { type Logger } from 'pino';
import { InvalidRefinementInputError } from '../errors';
import { RefinementNotFoundError } from '../client/refinements';
import { registerAddressRateLimit } from './address-rate-limit';
import { Admission } from './admission';
import { ApiKeys } from './api-keys';
import { Authenticator } from './auth';
import type { GatewayContext, GatewayServices, ZodApp } from './context';
import { InvalidCursorError, OwnershipStore } from './ownership';
import { auditTo } from '../observability/audit';
import { gatewayAuthRefusals } from '../observability/metrics';
import { credentialKind, registerObservability, requestIdOf } from './observability';
import {
  clientErrorProblem,
  frameworkErrorProblem,
  HttpProblem,
  notFound,
  ProblemType,
  sendProblem,
  toProblem,
  validationProblem,
} from './problems';
import { ProgressFeed } from './progress-feed';
import { temporalDataConverter } from '../temporal/connection';
import { registerCodecRoutes } from './routes/codec';
import { registerConceptRoutes } from './routes/concepts';
import { registerLineageRoutes } from './routes/lineage';
import { registerWebhookRoutes } from './routes/webhooks';
import { InvalidConceptCursorError } from '../adapters/concept-store/concept-store';
import { webhookHttpSettings } from '../adapters/http/webhook-sender';
import { BlockedAddressError, InvalidWebhookUrlError } from '../errors';
import { registerHealthRoutes } from './routes/health';
import { registerImageRoutes } from './routes/images';
import { registerRefinementRoutes } from './routes/refinements';
import { pageContentSecurityPolicy, registerWebRoutes, useDocsContentSecurityPolicy } from './routes/web';
import { UrlSigner } from './signed-urls';
import { StatusCache } from './status-cache';
import { Views } from './views';

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
    loggerInstance: (deps.logger || pino({ level: 'silent' })) as FastifyBaseLogger,
    bodyLimit: settings.bodyLimitBytes,
    // Behind a proxy the client address would be the proxy's; rate limits key on users, not addresses.
    trustProxy: false,
    // The caller's X-Request-Id or traceparent, else a new id; logged as `requestId` (observability.ts).
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Above every id rule (128), so the route's schema decides and names the field; only longer
    // segments are refused by the router itself (414, problem+json through frameworkErrors).
    routerOptions: { maxParamLength: ROUTER_MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorProblem,
    clientErrorHandler: clientErrorProblem,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const ctx = createContext(deps);
  registerObservability(app, deps);
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error as Error) ?? domainProblem(error);
    if (problem) return sendProblem(request, reply, problem);
    request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, new HttpProblem({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, notFound(`route ${request.method} ${request.url.split('?')[0]}`)));

  await app.register(fastifyHelmet, { contentSecurityPolicy: { useDefaults: false, directives: pageContentSecurityPolicy(config) } });
  useDocsContentSecurityPolicy(app);
  await registerAddressRateLimit(app, settings.addressRateLimit);
  await app.register(fastifyMultipart, { limits: { fileSize: settings.uploadMaxBytes, files: 1 } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Refinery API', version: '1.0.0', description: 'Start, watch, list and cancel concept-image refinements.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A JWT from the identity provider, or an API key (rk_…)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerHealthRoutes(app, ctx);
  await registerWebRoutes(app, config);
  registerImageRoutes(app, ctx);
  // The same codecs as the Temporal clients; none (payloads in clear) means no /codec at all.
  const codecs = temporalDataConverter(config)?.payloadCodecs ?? [];
  if (codecs.length > 0) await app.register(async (codec) => registerCodecRoutes(codec as ZodApp, ctx, codecs), { prefix: '/codec' });
  await app.register(async (api) => registerAuthenticatedRoutes(api as ZodApp, ctx, deps));
  return app;
}

/** Everything under /v1: authenticated first, then rate-limited per user. */
async function registerAuthenticatedRoutes(api: ZodApp, ctx: GatewayContext, deps: GatewayDeps): Promise<void> {
  const settings = deps.config.gateway;
  const authenticator = new Authenticator(settings.auth, new ApiKeys(deps.db));
  api.decorateRequest('user', null as never);
  api.addHook('onRequest', async (request) => {
    try {
      request.user = await authenticator.authenticate(request);
    } catch (err) {
      // Audited without the credential: only which kind was presented and why it was refused.
      const credential = credentialKind(request);
      gatewayAuthRefusals.inc({ credential });
      auditTo(request.log)('authentication.refused', { credential, reason: (err as Error).message, route: request.routeOptions.url, ip: request.ip });
      throw err;
    }
  });
  api.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ bearer: [] }, { apiKey: [] }] };
  });
  await api.register(fastifyRateLimit, {
    max: settings.rateLimit.max,
    timeWindow: settings.rateLimit.windowMs,
    // After authentication (onRequest), before the body is read: a flood of uploads is refused unread.
    hook: 'preParsing',
    keyGenerator: (request) => `user:${request.user.id}`,
    errorResponseBuilder: (_request, context) =>
      new HttpProblem({
        type: ProblemType.rateLimited,
        title: 'Too Many Requests',
        status: context.statusCode,
        detail: `at most ${context.max} requests per ${Math.round(context.ttl / 1000) || 1} s per user; retry in ${context.after}`,
      }),
  });
  registerRefinementRoutes(api, ctx);
  registerConceptRoutes(api, ctx);
  registerLineageRoutes(api, ctx);
  registerWebhookRoutes(api, ctx);
}

function createContext(deps: GatewayDeps): GatewayContext {
  const { config } = deps;
  const signer = new UrlSigner(config.gateway.urlSigningSecret, config.imageStore.publicBaseUrl, config.gateway.signedUrlTtlSeconds);
  const ownership = new OwnershipStore(deps.db);
  const statusCache = new StatusCache(ownership, deps.refinements);
  const admission = new Admission({
    ownership,
    statusCache,
    refinements: deps.refinements,
    imageStore: deps.imageStore,
    maxRunningPerUser: config.gateway.maxRunningPerUser,
    capRetryAfterSeconds: config.gateway.capRetryAfterSeconds,
    webhookStore: deps.webhookStore,
    webhookHttp: webhookHttpSettings(config.webhooks),
  });
  return {
    ...deps,
    ownership,
    statusCache,
    admission,
    signer,
    views: new Views(signer, deps.imageStore, config.imageStore.publicBaseUrl),
    progressFeed: new ProgressFeed(deps.refinements, config.gateway.maxStreamsPerUser),
  };
}

/** Errors from the layers below that have a meaning for the caller. */
function domainProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof RefinementNotFoundError) return notFound(`refinement ${error.taskId}`);
  if (error instanceof InvalidCursorError) {
    return validationProblem([{ field: 'query.cursor', pointer: '/cursor', in: 'querystring', detail: error.message }]);
  }
  if (error instanceof InvalidConceptCursorError) {
    return validationProblem([{ field: 'query.cursor', pointer: '/cursor', in: 'querystring', detail: error.message }]);
  }
  if (error instanceof InvalidWebhookUrlError || error instanceof BlockedAddressError) {
    return new HttpProblem({ type: ProblemType.validation, title: 'Invalid webhook URL', status: 400, detail: error.message });
  }
  if (error instanceof InvalidRefinementInputError) {
    return new HttpProblem({ type: ProblemType.validation, title: 'Invalid request', status: 400, detail: error.message });
  }
  return undefined;
}
