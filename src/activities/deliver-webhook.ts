/**
 * The webhook step after a refinement's end: one activity per endpoint. An attempt POSTs the signed
 * event through the guarded HTTP client and records what the receiver said. 2xx: delivered. 410:
 * the endpoint is disabled and nothing more is sent. Anything else (another 4xx, 5xx, no answer in
 * time): a retryable failure, so Temporal retries with backoff, on any worker, until the workflow's
 * retry time for webhooks runs out. The event body is stored on the first attempt and reused, so
 * every attempt and every replay sends the same bytes under the same `webhook-id`.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { postWebhook, type WebhookHttpSettings } from '../adapters/http/webhook-sender';
import { webhookHeaders } from '../adapters/http/webhook-signature';
import type { WebhookStore } from '../adapters/webhook-store/webhook-store';
import { BlockedAddressError } from '../errors';
import type { RefinementProgress } from '../workflows/types';

export type RefinementEventType = 'refinement.completed' | 'refinement.failed' | 'refinement.cancelled';

export interface DeliverWebhookInput {
  taskId: string;
  userId: string;
  endpointId: string;
  /** The `webhook-id`: one per refinement event, the same on every attempt. */
  messageId: string;
  /** Absent on a replay: the stored event is sent again. */
  event?: { type: RefinementEventType; occurredAt: string; refinement: RefinementProgress };
}

export type DeliveryOutcome = 'delivered' | 'endpoint-disabled' | 'skipped';

export interface WebhookDeps {
  webhookStore: WebhookStore;
  webhookHttp: WebhookHttpSettings;
  logger: Logger;
}

export function createDeliverWebhook(deps: WebhookDeps) {
  return async function deliverWebhook(input: DeliverWebhookInput): Promise<{ outcome: DeliveryOutcome; statusCode: number | null }> {
    const ctx = Context.current();
    const log = deps.logger.child({ taskId: input.taskId, endpointId: input.endpointId, webhookId: input.messageId, attempt: ctx.info.attempt });
    const endpoint = await deps.webhookStore.findEndpoint(input.endpointId);
    // Ids come from the input: an endpoint of another user (or a deleted one) is never sent anything.
    if (!endpoint || endpoint.userId !== input.userId) {
      log.warn('webhook endpoint gone or not this user\'s; nothing sent');
      return { outcome: 'skipped', statusCode: null };
    }
    if (endpoint.disabledAt) {
      log.info('webhook endpoint disabled; nothing sent');
      return { outcome: 'endpoint-disabled', statusCode: null };
    }
    const stored = await deps.webhookStore.findDelivery(input.endpointId, input.messageId);
    if (!stored && !input.event) throw ApplicationFailure.nonRetryable(`no stored webhook event ${input.messageId} to replay`, 'WebhookEventNotFoundError');
    const delivery =
      stored ??
      (await deps.webhookStore.ensureDelivery({
        endpointId: input.endpointId,
        messageId: input.messageId,
        taskId: input.taskId,
        eventType: input.event!.type,
        body: eventBody(input.event!, input.taskId),
      }));
    // An attempt that delivered and then died before reporting must not deliver twice.
    if (delivery.status === 'delivered' && input.event) return { outcome: 'delivered', statusCode: delivery.lastStatusCode };

    const secret = await deps.webhookStore.signingSecret(endpoint.id);
    const started = Date.now();
    let answer;
    try {
      answer = await postWebhook(endpoint.url, delivery.body, webhookHeaders(secret, input.messageId, delivery.body), deps.webhookHttp, ctx.cancellationSignal);
    } catch (err) {
      if (!(err instanceof BlockedAddressError)) throw err;
      log.warn({ operatorDetail: err.operatorDetail }, 'webhook host refused');
      // The host now resolves somewhere forbidden: asking again will not make it allowed.
      await deps.webhookStore.recordAttempt(endpoint.id, input.messageId, { statusCode: null, error: err.message, outcome: 'retrying', at: new Date(), durationMs: Date.now() - started });
      throw ApplicationFailure.nonRetryable(err.message, 'BlockedAddressError');
    }
    const attempt = { statusCode: answer.statusCode, error: answer.error, at: new Date(), durationMs: Date.now() - started };
    const status = answer.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      await deps.webhookStore.recordAttempt(endpoint.id, input.messageId, { ...attempt, outcome: 'delivered' });
      log.info({ statusCode: status }, 'webhook delivered');
      return { outcome: 'delivered', statusCode: status };
    }
    if (status === 410) {
      await deps.webhookStore.recordAttempt(endpoint.id, input.messageId, { ...attempt, outcome: 'endpoint-disabled' });
      await deps.webhookStore.disableEndpoint(endpoint.id, 'the receiver answered 410 Gone');
      log.info('webhook receiver answered 410: endpoint disabled');
      return { outcome: 'endpoint-disabled', statusCode: status };
    }
    await deps.webhookStore.recordAttempt(endpoint.id, input.messageId, { ...attempt, outcome: 'retrying' });
    const why = answer.statusCode === null ? answer.error : `the receiver answered HTTP ${answer.statusCode}`;
    log.warn({ statusCode: answer.statusCode, error: answer.error }, 'webhook attempt failed; retried with backoff');
    throw ApplicationFailure.retryable(`webhook ${input.messageId} to endpoint ${endpoint.id}: ${why}`, 'WebhookDeliveryFailedError');
  };
}

/** After the workflow gave up on an endpoint (its retry time ran out): shown as failed, replayable. */
export function createRecordWebhookGaveUp(deps: WebhookDeps) {
  return async function recordWebhookGaveUp(input: { endpointId: string; messageId: string; reason: string }): Promise<void> {
    await deps.webhookStore.markFailed(input.endpointId, input.messageId, input.reason);
  };
}

/**
 * The event, Standard Webhooks style: `type`, `timestamp`, `data`. `data.refinement` is the
 * refinement's view as the API shows it, minus the signed image link (a webhook body is stored and
 * replayed, and a link would expire): fetch `links.concept` for a fresh one.
 */
export function eventBody(event: NonNullable<DeliverWebhookInput['event']>, taskId: string): string {
  const p = event.refinement;
  const conceptId = p.result?.conceptId ?? null;
  const self = `/v1/refinements/${encodeURIComponent(taskId)}`;
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt,
    data: {
      taskId,
      conceptId,
      refinement: {
        taskId,
        status: p.status,
        finishedStages: p.finishedStages,
        lastFailure: p.lastFailure,
        // Events stored by older code lack these: read as none.
        failureType: p.failureType ?? null,
        startedAt: p.startedAt,
        finishedAt: p.finishedAt,
        cancellation: p.cancellation,
        notes: p.notes ?? [],
        outcome: p.outcome ?? p.result?.outcome ?? null,
        conceptId,
        links: { self, ...(conceptId ? { concept: `/v1/concepts/${encodeURIComponent(conceptId)}` } : {}) },
      },
    },
  });
}
