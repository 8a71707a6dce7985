/**
 * Refinery's own Prometheus metrics (prom-client, default registry), defined once per process.
 * The worker exposes them with the Temporal SDK's on WORKER_METRICS_PORT, the gateway on /metrics.
 * Labels are bounded sets (stage, provider, status class, error class, route pattern): never user
 * ids, prompts, URLs or task ids, which would leak data and explode the series count.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';

/** Seconds: stages and provider calls run from milliseconds to minutes. */
const SLOW_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds: database and store operations and HTTP requests are usually well under a second. */
const FAST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const stageAttempts = new Counter({
  name: 'refinery_stage_attempts_total',
  help: 'Stage activity attempts by outcome (succeeded, failed, cancelled) and failure type (the error class; empty on success).',
  labelNames: ['stage', 'outcome', 'failure_type', 'retryable'] as const,
});

export const stageDuration = new Histogram({
  name: 'refinery_stage_duration_seconds',
  help: 'Duration of one stage attempt, by outcome.',
  labelNames: ['stage', 'outcome'] as const,
  buckets: SLOW_BUCKETS,
});

export const providerRequestDuration = new Histogram({
  name: 'refinery_provider_request_duration_seconds',
  help: 'Image AI provider calls: latency by provider and status class (2xx, 4xx, 5xx, network_error, timeout, cancelled).',
  labelNames: ['provider', 'status_class'] as const,
  buckets: SLOW_BUCKETS,
});

export const providerRateLimited = new Counter({
  name: 'refinery_provider_rate_limited_total',
  help: 'Provider answers HTTP 429 (too many requests).',
  labelNames: ['provider'] as const,
});

export const providerRetryAfter = new Histogram({
  name: 'refinery_provider_retry_after_seconds',
  help: 'Retry-After delays a provider asked for and that the next attempt waits (capped at 10 min).',
  labelNames: ['provider'] as const,
  buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600],
});

export const downloadBytes = new Counter({
  name: 'refinery_download_bytes_total',
  help: 'Image bytes received by the guarded download (originals and provider-hosted results).',
});

export const downloadRefusals = new Counter({
  name: 'refinery_download_refused_total',
  help: 'Downloads refused or failed, by rule: blocked_address, invalid_url, too_large, unavailable, transient.',
  labelNames: ['rule'] as const,
});

/** What every instrumented store reports: how long each operation took, and which ones threw. */
export interface StoreOperationMetrics {
  duration: Histogram<'operation' | 'outcome'>;
  errors: Counter<'operation' | 'error'>;
}

function storeOperationMetrics(store: string, names: { duration: string; errors: string }): StoreOperationMetrics {
  return {
    duration: new Histogram({
      name: names.duration,
      help: `${store} operations by operation and outcome (ok, error).`,
      labelNames: ['operation', 'outcome'] as const,
      buckets: FAST_BUCKETS,
    }),
    errors: new Counter({
      name: names.errors,
      help: `${store} operations that threw, by operation and error class.`,
      labelNames: ['operation', 'error'] as const,
    }),
  };
}

export const imageStoreOperations = storeOperationMetrics('Image store', {
  duration: 'refinery_image_store_operation_duration_seconds',
  errors: 'refinery_image_store_errors_total',
});

export const databaseOperations = storeOperationMetrics('Concept store (database)', {
  duration: 'refinery_database_operation_duration_seconds',
  errors: 'refinery_database_errors_total',
});

export const refinementsEnded = new Counter({
  name: 'refinery_refinements_total',
  help: 'Refinements that ended, by outcome (completed, failed, cancelled), counted by the worker that ran their last workflow task.',
  labelNames: ['outcome'] as const,
});

export const refinementDuration = new Histogram({
  name: 'refinery_refinement_duration_seconds',
  help: 'Start to end of a refinement, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: SLOW_BUCKETS,
});

// --- gateway ---

export const gatewayRequestDuration = new Histogram({
  name: 'refinery_gateway_http_request_duration_seconds',
  help: 'Gateway HTTP requests by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: FAST_BUCKETS,
});

export const gatewayAdmissions = new Counter({
  name: 'refinery_gateway_admissions_total',
  help: 'Refinement starts accepted by the gateway (replayed: an Idempotency-Key answered with the earlier refinement).',
  labelNames: ['replayed'] as const,
});

export const gatewayRefusals = new Counter({
  name: 'refinery_gateway_refusals_total',
  help: 'Refinement starts refused, by reason: rate_limit, running_cap, validation, too_large, unsupported_media_type, idempotency_conflict, unauthenticated, other.',
  labelNames: ['reason'] as const,
});

export const gatewayAuthRefusals = new Counter({
  name: 'refinery_gateway_authentication_refusals_total',
  help: 'Requests refused with 401, by the credential kind presented (none, jwt, api_key).',
  labelNames: ['credential'] as const,
});

export const gatewayOpenEventStreams = new Gauge({
  name: 'refinery_gateway_open_event_streams',
  help: 'Server-Sent Event streams currently open.',
});

let defaultsCollected = false;
/** Process metrics (CPU, memory, event loop lag, handles), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}

export const metricsRegistry = register;

/** Bounded label value for an error: its class name, or `Error`. */
export function errorClass(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

/** One stage attempt, from its start: call exactly one of the three when it ends. */
export function observeStageAttempt(stage: string) {
  const stop = stageDuration.startTimer({ stage });
  const end = (outcome: string, failureType = '', retryable = '') => {
    stop({ outcome });
    stageAttempts.inc({ stage, outcome, failure_type: failureType, retryable });
  };
  return {
    succeeded: () => end('succeeded'),
    cancelled: () => end('cancelled'),
    failed: (failureType: string, retryable: boolean) => end('failed', failureType, String(retryable)),
  };
}
