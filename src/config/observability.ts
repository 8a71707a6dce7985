/** Logs, metrics and traces: the log level, the worker's Prometheus endpoint, who may scrape the gateway's, and OTLP export. */
import { z } from 'zod';
import { defineConcern } from './concern';
import { emptyAsUnset, int, optionalText } from './env';

export interface ObservabilityConfig {
  workerMetrics?: { host: string; port: number };
  gatewayMetricsToken?: string;
  /** Where spans are exported (OTLP/HTTP base URL); undefined: tracing context only, no export. */
  otlpEndpoint?: string;
  serviceName?: string;
}

export const observability = defineConcern({
  title: 'Observability',
  variables: {
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino level; logs carry `taskId`, `stage` and `attempt`.'),
    WORKER_METRICS_PORT: z.preprocess(emptyAsUnset, int(1).max(65535).optional()).meta({
      description: "Port of the worker's Prometheus endpoint, `GET /metrics` (Refinery's metrics and the Temporal SDK's together).",
      defaultText: '(unset: no endpoint)',
    }),
    WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1').describe('Where that endpoint listens; `0.0.0.0` in a container that Prometheus scrapes from outside.'),
    GATEWAY_METRICS_TOKEN: optionalText.meta({
      description: "Bearer token for the gateway's `/metrics`; without one it answers loopback clients only, so users never see the metrics.",
      defaultText: '(unset: loopback only)',
    }),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(emptyAsUnset, z.string().url().optional()).meta({
      description: 'OTLP/HTTP collector base URL (e.g. `http://otel-collector:4318`); spans go to `<url>/v1/traces`.',
      defaultText: '(unset: no export)',
    }),
    OTEL_SERVICE_NAME: z.string().min(1).optional().meta({ description: '`service.name` of the exported spans.', defaultText: '`refinery-worker` / `refinery-gateway`' }),
  },
  options: (e): { logLevel: string; observability: ObservabilityConfig } => ({
    logLevel: e.LOG_LEVEL,
    observability: {
      workerMetrics: e.WORKER_METRICS_PORT === undefined ? undefined : { host: e.WORKER_METRICS_HOST, port: e.WORKER_METRICS_PORT },
      gatewayMetricsToken: e.GATEWAY_METRICS_TOKEN,
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: e.OTEL_SERVICE_NAME,
    },
  }),
});
