/**
 * Decorators that time every asynchronous operation of the image store and the concept store,
 * count their errors and wrap each in an OpenTelemetry span. Generic over the interface (a Proxy
 * over whatever methods the store has), so a store that grows a method is measured without a change
 * here. Synchronous methods (e.g. `describe`, which only computes a key's URL) pass through.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { Counter, Histogram } from 'prom-client';
import type { ConceptStore } from '../adapters/concept-store/concept-store';
import type { ImageStore } from '../adapters/image-store/image-store';
import { databaseDuration, databaseErrors, errorClass, imageStoreDuration, imageStoreErrors } from './metrics';

const tracer = trace.getTracer('refinery');

interface Instruments {
  /** Span name prefix and `refinery.component` attribute. */
  component: string;
  duration: Histogram<'operation' | 'outcome'>;
  errors: Counter<'operation' | 'error'>;
  attributes?: Attributes;
}

export function instrumentImageStore<T extends ImageStore>(store: T): T {
  return instrumentMethods(store, { component: 'image_store', duration: imageStoreDuration, errors: imageStoreErrors });
}

export function instrumentConceptStore<T extends ConceptStore>(store: T, system: 'postgresql' | 'sqlite'): T {
  return instrumentMethods(store, {
    component: 'database',
    duration: databaseDuration,
    errors: databaseErrors,
    attributes: { 'db.system': system },
  });
}

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
