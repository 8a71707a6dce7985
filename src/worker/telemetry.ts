/**
 * A worker process's telemetry, installed once before anything creates the Temporal runtime:
 * the runtime's logs into pino, the SDK's Prometheus metrics on a loopback port that only this
 * process reads, Refinery's own metrics and the SDK's together on WORKER_METRICS_PORT, and tracing.
 */
import { Runtime, type TelemetryOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { WorkerProcessConfig } from '../config';
import { temporalLogger } from '../observability/logging';
import { freeLoopbackPort } from '../runtime/free-port';
import { startMetricsEndpoint, type MetricsEndpoint } from '../observability/metrics-endpoint';
import { collectProcessMetrics } from '../observability/metrics';
import { startTracing, type Tracing } from '../observability/tracing';

export interface WorkerTelemetry {
  tracing: Tracing;
  metrics?: MetricsEndpoint;
  shutdown(): Promise<void>;
}

export async function installWorkerTelemetry(config: WorkerProcessConfig, logger: Logger): Promise<WorkerTelemetry> {
  const tracing = startTracing(config.observability, 'refinery-worker');
  const wanted = config.observability.workerMetrics;
  const sdkPort = wanted ? await freeLoopbackPort() : undefined;
  const telemetryOptions: TelemetryOptions = {
    // The SDK core's own lines (its default filter: warnings and errors) go through the same logger as
    // everything else, instead of raw text on stderr.
    logging: { forward: {} },
    ...(sdkPort && {
      metrics: {
        // Prometheus conventions: counters end in _total, durations are _seconds.
        prometheus: { bindAddress: `127.0.0.1:${sdkPort}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
      },
    }),
  };
  Runtime.install({ logger: temporalLogger(logger), telemetryOptions });
  let metrics: MetricsEndpoint | undefined;
  if (wanted) {
    collectProcessMetrics();
    metrics = await startMetricsEndpoint({ ...wanted, sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`, logger });
    logger.info({ host: wanted.host, port: metrics.port }, 'worker metrics endpoint listening');
  }
  return {
    tracing,
    metrics,
    shutdown: async () => {
      await metrics?.close();
      await tracing.shutdown();
    },
  };
}
