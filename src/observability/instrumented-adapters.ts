/**
 * Decorators that measure the adapters at their seams, wired where the adapters are built
 * (src/adapters/index.ts): the image store and the concept store (every asynchronous operation
 * timed, its errors counted, each wrapped in an OpenTelemetry span), the concept service (its calls
 * to a remote provider) and the guarded download. The adapters themselves record nothing.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { ConceptService, RefineRequest } from '../adapters/concept-service/concept-service';
import type { ProviderCallReport } from '../adapters/concept-service/provider-call-report';
import type { ConceptStore } from '../adapters/concept-store/concept-store';
import type { DownloadToFile } from '../adapters/http/safe-download';
import type { ImageStore } from '../adapters/image-store/image-store';
import {
  databaseOperations,
  downloadBytes,
  downloadRefusals,
  errorClass,
  imageStoreOperations,
  providerRateLimited,
  providerRequestDuration,
  providerRetryAfter,
  type StoreOperationMetrics,
} from './metrics';

const tracer = trace.getTracer('refinery');

interface Instruments extends StoreOperationMetrics {
  /** Span name prefix and `refinery.component` attribute. */
  component: string;
  attributes?: Attributes;
}

export function instrumentImageStore<T extends ImageStore>(store: T): T {
  return instrumentMethods(store, { component: 'image_store', ...imageStoreOperations });
}

export function instrumentConceptStore<T extends ConceptStore>(store: T, system: 'postgresql' | 'sqlite'): T {
  return instrumentMethods(store, { component: 'database', ...databaseOperations, attributes: { 'db.system': system } });
}

/**
 * Measures the service's calls to its remote provider. Only the HTTP call knows the answer's status
 * and whether its own deadline struck, so the decorator asks for a report of each call through the
 * request (RefineRequest.onProviderCall) and records that. The built-in local refiner makes no call,
 * so it reports nothing.
 */
export function instrumentConceptService<T extends ConceptService>(service: T): T {
  const refine = (request: RefineRequest) =>
    service.refine({
      ...request,
      onProviderCall: (report) => {
        recordProviderCall(report);
        request.onProviderCall?.(report);
      },
    });
  return Object.assign(Object.create(service) as T, { refine });
}

/** Counts the bytes of every download that arrived, and the rule that refused every one that did not. */
export function instrumentDownload(download: DownloadToFile): DownloadToFile {
  return async (...args) => {
    try {
      const result = await download(...args);
      downloadBytes.inc(result.bytes);
      return result;
    } catch (err) {
      recordDownloadRefusal(err);
      throw err;
    }
  };
}

function recordProviderCall({ provider, seconds, status, failure }: ProviderCallReport): void {
  if (status === 429) providerRateLimited.inc({ provider });
  // The delay the next attempt will wait (ApplicationFailure.nextRetryDelay in runStage).
  const retryAfterMs = (failure?.error as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
  if (typeof retryAfterMs === 'number') providerRetryAfter.observe({ provider }, retryAfterMs / 1000);
  const unanswered = failure?.cancelled ? 'cancelled' : failure?.timedOut ? 'timeout' : 'network_error';
  providerRequestDuration.observe({ provider, status_class: status === undefined ? unanswered : `${Math.floor(status / 100)}xx` }, seconds);
}

const REFUSAL_RULES: Record<string, string> = {
  BlockedAddressError: 'blocked_address',
  InvalidImageUrlError: 'invalid_url',
  ImageTooLargeError: 'too_large',
  ImageUnavailableError: 'unavailable',
  DownloadFailedError: 'transient',
};

/** A download that ended in one of the guarded download's typed errors (a caller's abort is not counted). */
function recordDownloadRefusal(err: unknown): void {
  const rule = REFUSAL_RULES[errorClass(err)];
  if (rule) downloadRefusals.inc({ rule });
}

/**
 * Generic over the interface (a Proxy over whatever methods the store has), so a store that grows a
 * method is measured without a change here. Synchronous methods (e.g. `describe`, which only
 * computes a key's URL) pass through.
 */
function instrumentMethods<T extends object>(target: T, instruments: Instruments): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (!wrapped.has(property)) wrapped.set(property, measured(object, property, value as (...args: unknown[]) => unknown, instruments));
      return wrapped.get(property);
    },
  });
}

function measured(object: object, operation: string, method: (...args: unknown[]) => unknown, instruments: Instruments) {
  const { component, duration, errors } = instruments;
  return (...args: unknown[]): unknown => {
    const startedAt = performance.now();
    const startTime = Date.now();
    const result = method.apply(object, args);
    // A synchronous helper (a key's URL): nothing to time. A synchronous throw is a bug, not an outage.
    if (!(result instanceof Promise)) return result;
    const span = tracer.startSpan(`${component} ${operation}`, {
      kind: SpanKind.CLIENT,
      startTime,
      attributes: { 'refinery.component': component, 'refinery.operation': operation, ...instruments.attributes },
    });
    const seconds = () => (performance.now() - startedAt) / 1000;
    return result.then(
      (value) => {
        duration.observe({ operation, outcome: 'ok' }, seconds());
        span.end();
        return value;
      },
      (err: unknown) => {
        duration.observe({ operation, outcome: 'error' }, seconds());
        errors.inc({ operation, error: errorClass(err) });
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorClass(err) });
        span.end();
        throw err;
      },
    );
  };
}
