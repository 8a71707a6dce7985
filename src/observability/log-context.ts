/**
 * Correlation fields that every log line of a request or an activity carries: the request id that
 * came in at the gateway, and the trace and span ids of whatever OpenTelemetry span is active.
 * Kept in an AsyncLocalStorage (independent of tracing, so correlation works with export off) and
 * read by pino's `mixin` at each log call, so no logger needs to be re-bound by hand.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';

export interface LogContext {
  requestId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` as the correlation context of everything it does, awaits included. */
export function runWithLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Marks a logger whose bindings already carry `requestId` (fastify's per-request child): pino writes
 * bindings and mixin fields side by side, so the mixin must leave the key out there or a line repeats
 * it. A property rather than a look at `bindings()`, which parses the bindings at every call; pino's
 * children inherit it through the prototype.
 */
const requestIdBound = Symbol('refinery.requestIdBound');

/** fastify's childLoggerFactory: the per-request child, marked as carrying the request id. */
export function requestChildLogger<L extends { child(bindings: Record<string, unknown>, options?: object): L }>(
  logger: L,
  bindings: Record<string, unknown>,
  options?: object,
): L {
  const child = logger.child(bindings, options);
  if ('requestId' in bindings) (child as Record<symbol, unknown>)[requestIdBound] = true;
  return child;
}

/** pino mixin: the request id and the active span's trace and span ids, when there are any. */
export function correlationFields(_merge?: object, _level?: number, logger?: object): Record<string, string> {
  const fields: Record<string, string> = {};
  const requestId = currentRequestId();
  if (requestId && !(logger as Record<symbol, unknown> | undefined)?.[requestIdBound]) fields.requestId = requestId;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && trace.isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}
