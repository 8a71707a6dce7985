/**
 * The webhook step of a refinement, and the workflow that replays one delivery. Deterministic code:
 * the endpoints were resolved by the starter (ids in the input); URLs, secrets and HTTP live in the
 * deliverWebhook activity. A delivery that never succeeds is recorded as failed and the refinement's
 * own outcome is left exactly as it was.
 */
import { ActivityFailure, log, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { RefineryActivities } from '../activities';
import type { DeliverWebhookInput, RefinementEventType } from '../activities/deliver-webhook';
import type { RefinementProgress, WebhookPolicy } from './types';

const DEFAULT_POLICY: Required<WebhookPolicy> = { retryFor: '24h', attemptTimeout: '1m', initialInterval: '10s', maximumInterval: '10m' };

/** One event per refinement, so its id can be derived from the task: stable across attempts and replays. */
export function webhookMessageId(taskId: string): string {
  return `msg_${taskId}`;
}

function deliveryActivities(policy: WebhookPolicy | undefined) {
  const p = { ...DEFAULT_POLICY, ...policy };
  const options: ActivityOptions = {
    // One attempt is one bounded POST (WEBHOOK_TIMEOUT_MS); a worker that dies mid-attempt is noticed after this.
    startToCloseTimeout: p.attemptTimeout,
    // The whole retry time, across workers and crashes: the server keeps the schedule.
    scheduleToCloseTimeout: p.retryFor,
    // No attempt limit: scheduleToCloseTimeout bounds the retries in time.
    retry: { initialInterval: p.initialInterval, backoffCoefficient: 2, maximumInterval: p.maximumInterval },
    summary: 'Deliver the refinement event to a webhook endpoint',
  };
  // Proxies resolve names on access: pick the functions out, never spread a proxy.
  const { recordWebhookGaveUp } = proxyActivities<RefineryActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
    summary: 'Record that a webhook delivery gave up',
  });
  return { deliverWebhook: proxyActivities<RefineryActivities>(options).deliverWebhook, recordWebhookGaveUp };
}

/** Delivers the end of a refinement to each endpoint, in parallel; never throws. */
export async function deliverRefinementEvent(
  input: { taskId: string; userId: string; webhookEndpointIds?: string[]; webhookPolicy?: WebhookPolicy },
  type: RefinementEventType,
  refinement: RefinementProgress,
  occurredAt: string,
): Promise<void> {
  const endpoints = input.webhookEndpointIds ?? [];
  if (endpoints.length === 0) return;
  const messageId = webhookMessageId(input.taskId);
  const { deliverWebhook } = deliveryActivities(input.webhookPolicy);
  await Promise.all(
    [...new Set(endpoints)].map((endpointId) =>
      deliverOrRecord(input.webhookPolicy, { taskId: input.taskId, userId: input.userId, endpointId, messageId, event: { type, occurredAt, refinement } }, deliverWebhook),
    ),
  );
}

async function deliverOrRecord(
  policy: WebhookPolicy | undefined,
  delivery: DeliverWebhookInput,
  deliverWebhook: ReturnType<typeof deliveryActivities>['deliverWebhook'],
): Promise<void> {
  try {
    await deliverWebhook(delivery);
  } catch (err) {
    const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    log.warn('webhook delivery gave up', { endpointId: delivery.endpointId, reason });
    try {
      await deliveryActivities(policy).recordWebhookGaveUp({ endpointId: delivery.endpointId, messageId: delivery.messageId, reason });
    } catch (recordErr) {
      log.error('could not record a failed webhook delivery', { error: String(recordErr) });
    }
  }
}

export interface RedeliverWebhookInput {
  taskId: string;
  userId: string;
  endpointId: string;
  messageId: string;
  webhookPolicy?: WebhookPolicy;
}

/** `POST /v1/webhooks/{id}/deliveries/{deliveryId}/replay`: the stored event again, same id, same retries. */
export async function redeliverWebhook(input: RedeliverWebhookInput): Promise<void> {
  const { deliverWebhook } = deliveryActivities(input.webhookPolicy);
  await deliverOrRecord(input.webhookPolicy, { taskId: input.taskId, userId: input.userId, endpointId: input.endpointId, messageId: input.messageId }, deliverWebhook);
}
