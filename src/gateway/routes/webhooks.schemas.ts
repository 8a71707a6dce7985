/** Shapes of /v1/webhooks: endpoints, their deliveries and replays. */
import { z } from 'zod';
import { text, webhookUrl } from './shared.schemas';

export const createWebhookBody = z.strictObject({
  url: webhookUrl,
  description: text(200).optional(),
});

export const webhookEndpointView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  createdAt: z.string(),
  /** Set when the receiver answered 410 Gone: nothing more is sent. */
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
});

export const createdWebhook = webhookEndpointView.extend({
  /** `whsec_…`: shown this once. Verify each event's `webhook-signature` with it (Standard Webhooks). */
  secret: z.string(),
});

export const webhookList = z.object({ items: z.array(webhookEndpointView) });

export const webhookIdParams = z.strictObject({ webhookId: z.string().max(64) });
export const deliveryParams = z.strictObject({ webhookId: z.string().max(64), deliveryId: z.string().max(200) });

export const deliveryView = z.object({
  /** The event's `webhook-id`; also the id to replay. */
  id: z.string(),
  taskId: z.string(),
  eventType: z.string(),
  status: z.enum(['pending', 'retrying', 'delivered', 'failed', 'endpoint-disabled']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  recentAttempts: z.array(
    z.object({
      attempt: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      outcome: z.enum(['delivered', 'retrying', 'endpoint-disabled']),
      at: z.string(),
      durationMs: z.number().int(),
    }),
  ),
});

export const deliveryList = z.object({ items: z.array(deliveryView) });
export const replayAccepted = z.object({ id: z.string(), status: z.literal('pending') });
