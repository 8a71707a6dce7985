/**
 * Without an OTLP endpoint spans are not recorded, yet the trace still flows: a span has a valid
 * trace and span id (what log lines carry), continues the caller's trace, and is propagated in
 * `traceparent` (what Temporal headers and outgoing HTTP carry). With an endpoint spans are recorded.
 * The workflow traces a run only when the start's trace context is sampled: what a process that
 * exports sends, not what one that does not sends.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { defaultPayloadConverter } from '@temporalio/common';
import { correlationFields } from '../../src/observability/log-context';
import { startTracing, type Tracing } from '../../src/observability/tracing';
import { startedWithSampledTrace, TRACE_HEADER } from '../../src/workflows/tracing';

const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('tracing without an exporter', () => {
  let tracing: Tracing;
  beforeAll(() => {
    tracing = startTracing({}, 'refinery-test');
  });
  afterAll(() => tracing.shutdown());

  test('records no span, but gives it a valid context that log lines and headers carry', () => {
    const span = trace.getTracer('test').startSpan('GET /v1/refinements');
    expect(tracing.exporting).toBe(false);
    expect(span.isRecording()).toBe(false);
    const { traceId, spanId } = span.spanContext();
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);

    const active = trace.setSpan(context.active(), span);
    expect(context.with(active, () => correlationFields())).toEqual({ traceId, spanId });
    const carrier: Record<string, string> = {};
    propagation.inject(active, carrier);
    expect(carrier.traceparent).toBe(`00-${traceId}-${spanId}-00`);
    span.end();
  });

  test("continues the caller's trace", () => {
    const parent = propagation.extract(context.active(), { traceparent: `00-${CALLER_TRACE_ID}-00f067aa0ba902b7-01` });
    const span = trace.getTracer('test').startSpan('POST /v1/refinements', {}, parent);
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(span.spanContext().spanId).not.toBe('00f067aa0ba902b7');
    span.end();
  });
});

test('with an exporter spans are recorded', async () => {
  // Nothing listens there, and no span ends, so nothing is sent.
  const tracing = startTracing({ otlpEndpoint: 'http://127.0.0.1:9' }, 'refinery-test');
  try {
    const span = trace.getTracer('test').startSpan('GET /healthz');
    expect(tracing.exporting).toBe(true);
    expect(span.isRecording()).toBe(true);
  } finally {
    await tracing.shutdown();
  }
});

describe("the workflow's choice to trace a run", () => {
  /** The start header OpenTelemetry's client interceptor writes: the active context, injected. */
  const startHeaders = (otlpEndpoint?: string) => {
    const tracing = startTracing(otlpEndpoint ? { otlpEndpoint } : {}, 'refinery-test');
    try {
      const span = trace.getTracer('test').startSpan('POST /v1/refinements');
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      return { [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
    } finally {
      void tracing.shutdown();
    }
  };
  const withTraceparent = (traceparent: unknown) => ({ [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) });

  test('traces a run started by a process that exports', () => {
    expect(startedWithSampledTrace(startHeaders('http://127.0.0.1:9'))).toBe(true);
  });

  test('does not trace a run started by a process that does not export', () => {
    expect(startedWithSampledTrace(startHeaders())).toBe(false);
  });

  test('reads the sampled bit of the flags, and nothing from a missing or malformed context', () => {
    expect(startedWithSampledTrace(withTraceparent(`00-${CALLER_TRACE_ID}-00f067aa0ba902b7-03`))).toBe(true);
    expect(startedWithSampledTrace(withTraceparent(`00-${CALLER_TRACE_ID}-00f067aa0ba902b7-02`))).toBe(false);
    expect(startedWithSampledTrace(withTraceparent(`00-${CALLER_TRACE_ID}-00f067aa0ba902b7`))).toBe(false);
    expect(startedWithSampledTrace(withTraceparent(`00-${CALLER_TRACE_ID}-00f067aa0ba902b7-zz`))).toBe(false);
    expect(startedWithSampledTrace(withTraceparent(42))).toBe(false);
    expect(startedWithSampledTrace({})).toBe(false);
  });
});
