/**
 * The gateway's observability, as hooks on the root instance (a fastify-plugin, so they cover every route):
 *  - the request id: the caller's X-Request-Id (when it is a sane token), else the trace id of a
 *    W3C `traceparent`, else a new UUID; answered in X-Request-Id on every response, logged as
 *    `requestId` by fastify, put into problem bodies (problems.ts) and carried into the workflow;
 *  - a SERVER span per request, continuing the caller's trace, active while the handler runs so
 *    the Temporal client's start call and the store operations become its children;
 *  - Prometheus metrics: request durations by route pattern, admissions and refusals, open streams;
 *  - GET /metrics: with GATEWAY_METRICS_TOKEN set, for `Authorization: Bearer <token>` only;
 *    without one, for loopback clients only (404 to everyone else, like any unknown route);
 *  - one log line per request (RequestLogLines), where fastify writes two.
 * Hand-written rather than @fastify/otel: that plugin is built on the OpenTelemetry 2.x SDK, while
 * Temporal's 1.24 interceptors are on 1.x, and these few hooks are all the gateway needs.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { runWithLogContext } from '../../observability/log-context';
import {
  collectProcessMetrics,
  gatewayAdmissions,
  gatewayOpenEventStreams,
  gatewayRefusals,
  gatewayRequestDuration,
  metricsRegistry,
} from '../../observability/metrics';
import { countRunningRefinementsWith, refinementTimeBudgetMs, stageTimeBudgetsMs } from '../../observability/running-refinements';
import type { GatewayServices } from './context';
import { notFound, ProblemType, sendProblem } from './problems';

export { requestChildLogger } from '../../observability/log-context';

const tracer = trace.getTracer('refinery-gateway');

/** Printable, bounded, no separators that could forge log fields or headers. */
const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** fastify's genReqId. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
  const traceId = TRACEPARENT.exec(String(request.headers.traceparent ?? '').trim())?.[1];
  if (traceId && !/^0+$/.test(traceId)) return traceId;
  return randomUUID();
}

/**
 * fastify's request log lines, one per request instead of two: `request completed` (or `request
 * errored`) when the response is sent, carrying what fastify's `incoming request` line said about
 * the request (`req`, through fastify's serializer: method, URL, host, client address and port)
 * beside `res.statusCode` and `responseTime`. fastify's other lines (errors, broken streams) are its own.
 */
export class RequestLogLines extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * The gateway logger's `req` serializer, in place of fastify's (a logger instance's own serializers
 * win over fastify's): the same fields, with the URL's path only. A query string can carry a
 * credential (a signed image link's signature), and logs are read by more people than may use it.
 */
export function loggedRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.split('?')[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

interface RequestTelemetry {
  span: Span;
  spanContext: Context;
  refusal?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    telemetry: RequestTelemetry;
  }
}

const START_ROUTE = '/v1/refinements';
const EVENTS_ROUTE = '/v1/refinements/:taskId/events';

/** Problem types of a refused start, as the refusal reasons the metrics name. */
const REFUSAL_REASONS: Record<string, string> = {
  [ProblemType.rateLimited]: 'rate_limit',
  [ProblemType.tooManyRunning]: 'running_cap',
  [ProblemType.validation]: 'validation',
  [ProblemType.tooLarge]: 'too_large',
  [ProblemType.idempotencyConflict]: 'idempotency_conflict',
  [ProblemType.unauthorized]: 'unauthenticated',
};

export const observability = fp<Pick<GatewayServices, 'config' | 'temporal'>>(
  async (app, { config, temporal }) => {
    const metricsToken = config.observability.gatewayMetricsToken;
    collectProcessMetrics();
    countRunningRefinementsWith({
      client: temporal,
      taskQueue: config.temporal.taskQueue,
      budgetMs: refinementTimeBudgetMs(config.stagePolicies),
      stageBudgetsMs: stageTimeBudgetsMs(config.stagePolicies),
    });
    app.decorateRequest('telemetry', null as never);

    app.addHook('onRequest', (request, reply, done) => {
      reply.raw.setHeader('x-request-id', request.id);
      const route = routeOf(request);
      const parent = propagation.extract(context.active(), request.headers);
      const span = tracer.startSpan(
        `${request.method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'refinery.request_id': request.id } },
        parent,
      );
      request.telemetry = { span, spanContext: trace.setSpan(parent, span) };
      if (route === EVENTS_ROUTE) {
        gatewayOpenEventStreams.inc();
        request.raw.once('close', () => gatewayOpenEventStreams.dec());
      }
      done();
    });

    // The handler runs inside the request's span and log context: its awaits keep both.
    app.addHook('preHandler', (request, _reply, done) => {
      if (!request.telemetry) return done();
      context.with(request.telemetry.spanContext, () => runWithLogContext({ requestId: request.id }, done));
    });

    app.addHook('onSend', async (request, reply, payload) => {
      if (request.telemetry && routeOf(request) === START_ROUTE && request.method === 'POST' && reply.statusCode >= 400) {
        request.telemetry.refusal = refusalReason(reply, payload);
      }
      return payload;
    });

    app.addHook('onResponse', async (request, reply) => {
      const route = routeOf(request);
      const status = reply.statusCode;
      gatewayRequestDuration.observe({ method: request.method, route, status_code: String(status) }, reply.elapsedTime / 1000);
      if (route === START_ROUTE && request.method === 'POST') {
        if (status === 202) gatewayAdmissions.inc({ replayed: String(reply.getHeader('idempotent-replayed') === 'true') });
        else if (status >= 400) gatewayRefusals.inc({ reason: request.telemetry?.refusal ?? 'other' });
      }
      if (!request.telemetry) return;
      const { span } = request.telemetry;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!mayScrape(request, metricsToken)) return sendProblem(request, reply, notFound(`route GET /metrics`));
      return reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
    });
  },
  { name: 'refinery-observability' },
);

/** The route pattern, never the raw URL (which carries task ids); unmatched routes share one label. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

function refusalReason(reply: FastifyReply, payload: unknown): string {
  if (reply.statusCode === 415) return 'unsupported_media_type';
  try {
    const type = (JSON.parse(String(payload)) as { type?: string }).type;
    return (type && REFUSAL_REASONS[type]) ?? 'other';
  } catch {
    return 'other';
  }
}

function mayScrape(request: FastifyRequest, token: string | undefined): boolean {
  if (token) {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
  const address = request.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
