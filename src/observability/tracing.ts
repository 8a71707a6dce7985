/**
 * OpenTelemetry tracing for one process (worker or gateway). Always installs a tracer provider, the
 * W3C trace-context propagator and the AsyncLocalStorage context manager, so trace ids flow through
 * Temporal headers and into log lines; spans leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set (OTLP/HTTP, protobuf, batched; OTEL_EXPORTER_OTLP_HEADERS and OTEL_BSP_* are honoured by the
 * exporter and the batch processor themselves). Outgoing undici requests (the download, provider
 * calls) get client spans and a `traceparent` header from the undici instrumentation.
 *
 * Without an endpoint no span is recorded (AlwaysOffSampler): recording spans that nothing exports
 * is CPU spent for nothing, on every request and every Temporal call. Each span is then a
 * non-recording one that still has a valid trace id and a span id of its own, so log lines,
 * Temporal headers and `traceparent` carry the trace, marked not sampled.
 */
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ObservabilityConfig } from '../config';

export interface Tracing {
  /** Where finished spans go; the worker hands it to the workflow span sink too. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** True when spans are exported. */
  exporting: boolean;
  /** Flushes pending spans and uninstalls the globals. */
  shutdown(): Promise<void>;
}

export function startTracing(config: ObservabilityConfig, defaultServiceName: string): Tracing {
  const resource = Resource.default().merge(new Resource({ 'service.name': config.serviceName ?? defaultServiceName }));
  const spanProcessor: SpanProcessor = config.otlpEndpoint
    ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }))
    : new NoopSpanProcessor();
  // Exporting: the SDK's default sampler (parent-based, roots always sampled).
  const sampler = config.otlpEndpoint ? undefined : new AlwaysOffSampler();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor], ...(sampler && { sampler }) });
  provider.register();
  const undici = new UndiciInstrumentation({
    // The query string of a user's or a provider's URL may carry a token: spans name origin and path only.
    requestHook: (span: Span, request: { origin: string; path: string }) => {
      span.setAttribute('url.full', `${request.origin}${request.path.split('?')[0]}`);
    },
  });
  undici.enable();
  return {
    spanProcessor,
    resource,
    exporting: config.otlpEndpoint !== undefined,
    shutdown: async () => {
      undici.disable();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
