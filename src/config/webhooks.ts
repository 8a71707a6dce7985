/** Refinement events to users' endpoints and per-request callback URLs: the gateway registers them, the worker delivers. */
import type { Duration } from '@temporalio/common';
import { DEV_WEBHOOK_SECRET_KEY } from './development-secrets';
import { defineConcern } from './concern';
import { bool, duration, int, refuse, secretKey } from './env';
import { LIMITS } from '../workflows/input-validation';

export interface WebhookConfig {
  secretKey: string;
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  maxEndpointsPerUser: number;
  /** Temporal durations, put in each workflow's input by the starter. */
  retry: { retryFor: Duration; attemptTimeout: Duration; initialInterval: Duration; maximumInterval: Duration };
}

/**
 * The most registered endpoints a user may have: every start puts them all into the workflow input,
 * with one more for the request's own callbackUrl, and the input carries LIMITS.webhookEndpoints.
 */
export const MAX_ENDPOINTS_PER_USER = LIMITS.webhookEndpoints - 1;

/** An attempt's activity times out this long after the delivery's own deadline, so the deadline is what fires. */
const ATTEMPT_MARGIN_MS = 5_000;

export const webhooks = defineConcern({
  title: 'Webhooks',
  variables: {
    WEBHOOK_SECRET_KEY: secretKey().optional().meta({
      description: "Seals the endpoints' signing secrets in the database, at least 32 characters; the same on gateway and workers.",
      defaultText: 'a public local-dev key (refused in production and off loopback)',
    }),
    WEBHOOK_TIMEOUT_MS: int(100).default(10_000).describe('Deadline of one delivery attempt (connect, send, answer): a slow receiver is a failed attempt.'),
    WEBHOOK_RETRY_FOR: duration.default('24h').describe('How long deliveries to one endpoint are retried before they are marked failed.'),
    WEBHOOK_RETRY_INITIAL_INTERVAL: duration.default('10s').describe('First retry delay; doubled each retry up to `WEBHOOK_RETRY_MAXIMUM_INTERVAL`.'),
    WEBHOOK_RETRY_MAXIMUM_INTERVAL: duration.default('10m').describe('Longest delay between two retries.'),
    ALLOW_PRIVATE_WEBHOOK_HOSTS: bool.default(false).describe('Lets webhooks go to loopback/private addresses (tests and local development only).'),
    WEBHOOK_MAX_ENDPOINTS_PER_USER: int(1).default(10).describe(`Registered endpoints per user, at most ${MAX_ENDPOINTS_PER_USER}.`),
  },
  options: (e): { webhooks: WebhookConfig } => {
    if (e.WEBHOOK_MAX_ENDPOINTS_PER_USER > MAX_ENDPOINTS_PER_USER) {
      refuse(
        `WEBHOOK_MAX_ENDPOINTS_PER_USER: at most ${MAX_ENDPOINTS_PER_USER} (a refinement tells at most ${LIMITS.webhookEndpoints} endpoints, ` +
          `one of them the request's own callbackUrl), not ${e.WEBHOOK_MAX_ENDPOINTS_PER_USER}`,
      );
    }
    return {
      webhooks: {
        secretKey: e.WEBHOOK_SECRET_KEY ?? DEV_WEBHOOK_SECRET_KEY,
        timeoutMs: e.WEBHOOK_TIMEOUT_MS,
        allowPrivateAddresses: e.ALLOW_PRIVATE_WEBHOOK_HOSTS,
        maxEndpointsPerUser: e.WEBHOOK_MAX_ENDPOINTS_PER_USER,
        retry: {
          retryFor: asDuration(e.WEBHOOK_RETRY_FOR),
          attemptTimeout: asDuration(e.WEBHOOK_TIMEOUT_MS + ATTEMPT_MARGIN_MS),
          initialInterval: asDuration(e.WEBHOOK_RETRY_INITIAL_INTERVAL),
          maximumInterval: asDuration(e.WEBHOOK_RETRY_MAXIMUM_INTERVAL),
        },
      },
    };
  },
});

/** Milliseconds or an `ms` string, as the string a workflow input carries. */
function asDuration(value: number | string): Duration {
  return (typeof value === 'number' ? `${value}ms` : value.replace(/\s+/g, '')) as Duration;
}
