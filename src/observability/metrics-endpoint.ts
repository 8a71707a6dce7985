/**
 * The worker's one Prometheus endpoint: Refinery's metrics (prom-client) followed by the Temporal
 * SDK's, which the SDK's Rust core serves on its own loopback-only port (Runtime telemetry) and which
 * are fetched at each scrape. The two sets never share a name (`refinery_*` and `temporal_*`), so
 * the concatenation is one valid exposition. Should the SDK's exporter not answer, the scrape still
 * serves Refinery's metrics (and `refinery_sdk_metrics_up 0` says so) rather than failing whole.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { metricsRegistry } from './metrics';

const sdkMetricsUp = new Gauge({
  name: 'refinery_sdk_metrics_up',
  help: '1 when the Temporal SDK metrics were appended to the last scrape, 0 when its exporter did not answer.',
});

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

export interface MetricsEndpointOptions {
  host: string;
  port: number;
  /** The SDK's own Prometheus exporter, e.g. http://127.0.0.1:PORT/metrics. */
  sdkMetricsUrl?: string;
  logger: Logger;
}

export async function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    scrape(options).then(
      (body) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body),
      (err: unknown) => {
        options.logger.error({ err }, 'metrics scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * SDK families that the alert rules and the dashboard query but that the SDK only creates with its
 * first sample (a counter of failures is absent until something fails): declared, with no sample,
 * so the family is known (and checked to exist) from the worker's first scrape.
 */
const SDK_FAMILIES_DECLARED_EARLY: { name: string; help: string }[] = [
  {
    name: 'temporal_workflow_task_execution_failed_total',
    help: 'Failed workflow task attempts by task_queue, workflow_type and failure_reason (NonDeterminismError, WorkflowError, ...); declared by Refinery until the SDK reports a first failure.',
  },
];

/** The SDK's text with the families it has not created yet declared at its end. */
export function withDeclaredSdkFamilies(sdk: string): string {
  const missing = SDK_FAMILIES_DECLARED_EARLY.filter(({ name }) => {
    const base = name.replace(/_total$/, '');
    return !new RegExp(`^(# TYPE )?${base}(_total)?[ {]`, 'm').test(sdk);
  });
  if (missing.length === 0) return sdk;
  const declarations = missing.map(({ name, help }) => `# HELP ${name} ${help}\n# TYPE ${name} counter\n`).join('');
  return `${sdk.trimEnd()}\n${declarations}`;
}

async function scrape(options: MetricsEndpointOptions): Promise<string> {
  const sdk = options.sdkMetricsUrl ? await fetchSdkMetrics(options.sdkMetricsUrl, options.logger) : undefined;
  sdkMetricsUp.set(sdk === undefined ? 0 : 1);
  const own = await metricsRegistry.metrics();
  return sdk ? `${own.trimEnd()}\n${withDeclaredSdkFamilies(sdk)}` : own;
}

async function fetchSdkMetrics(url: string, logger: Logger): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.text();
  } catch (err) {
    logger.warn({ err }, 'the Temporal SDK metrics exporter did not answer');
    return undefined;
  }
}
