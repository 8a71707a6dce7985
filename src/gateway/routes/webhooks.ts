/**
 * /v1/webhooks: a user's webhook endpoints (the signing secret is shown once, at registration), the
 * deliveries made to each, and replaying one. Someone else's endpoint answers 404 like an unknown one.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkWebhookUrl, webhookHttpSettings } from '../../adapters/http/webhook-sender';
import type { WebhookDelivery, WebhookEndpoint } from '../../adapters/webhook-store/webhook-store';
import type { RedeliverWebhookInput, redeliverWebhook } from '../../workflows/webhooks';
import type { RouteOptions } from '../http/context';
import { HttpProblem, notFound, ProblemType } from '../http/problems';
import { commonProblems, problem } from './shared.schemas';
import {
  createdWebhook,
  createWebhookBody,
  deliveryList,
  deliveryParams,
  replayAccepted,
  webhookEndpointView,
  webhookIdParams,
  webhookList,
} from './webhooks.schemas';

/** Registered under /v1/webhooks. */
export const webhookRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  const store = ctx.webhookStore;
  const requireOwned = async (userId: string, id: string): Promise<WebhookEndpoint> => {
    const endpoint = await store.findEndpoint(id);
    // A refinement's own callback URL is an endpoint of its owner too (`callbackWebhookId`): readable,
    // its deliveries listed and replayed, and deleted, though not listed among the registered endpoints.
    if (!endpoint || endpoint.userId !== userId) throw notFound(`webhook ${id}`);
    return endpoint;
  };

  app.post(
    '',
    {
      schema: {
        summary: 'Register a webhook endpoint',
        description:
          'Every refinement started afterwards sends its end (refinement.completed, refinement.failed, refinement.cancelled) to the URL, ' +
          'signed per Standard Webhooks with the `secret` returned here, once.',
        tags: ['webhooks'],
        body: createWebhookBody,
        response: { 201: createdWebhook, ...commonProblems, 409: problem },
      },
    },
    async (request, reply) => {
      await checkWebhookUrl(request.body.url, webhookHttpSettings(ctx.config.webhooks));
      if ((await store.countEndpoints(request.user.id)) >= ctx.config.webhooks.maxEndpointsPerUser) {
        throw new HttpProblem({
          type: ProblemType.validation,
          title: 'Too many webhook endpoints',
          status: 409,
          detail: `at most ${ctx.config.webhooks.maxEndpointsPerUser} endpoints per user; delete one first`,
        });
      }
      const { endpoint, secret } = await store.createEndpoint({ userId: request.user.id, url: request.body.url, kind: 'endpoint', description: request.body.description });
      return reply.code(201).send({ ...endpointView(endpoint), secret: secret! });
    },
  );

  app.get(
    '',
    { schema: { summary: "The caller's webhook endpoints", tags: ['webhooks'], response: { 200: webhookList, ...commonProblems } } },
    async (request) => ({ items: (await store.listEndpoints(request.user.id)).map(endpointView) }),
  );

  app.get(
    '/:webhookId',
    { schema: { summary: 'A webhook endpoint', tags: ['webhooks'], params: webhookIdParams, response: { 200: webhookEndpointView, ...commonProblems } } },
    async (request) => endpointView(await requireOwned(request.user.id, request.params.webhookId)),
  );

  app.delete(
    '/:webhookId',
    {
      schema: {
        summary: 'Delete a webhook endpoint and its delivery records',
        description:
          "Refinements already running skip it from then on. A refinement's own callback endpoint (its `callbackWebhookId`) is deleted the same way: " +
          'that refinement then tells no one through it.',
        tags: ['webhooks'],
        params: webhookIdParams,
        response: { 204: z.null().meta({ description: 'deleted' }), ...commonProblems },
      },
    },
    async (request, reply) => {
      await requireOwned(request.user.id, request.params.webhookId);
      await store.deleteEndpoint(request.user.id, request.params.webhookId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:webhookId/deliveries',
    {
      schema: {
        summary: 'Recent deliveries to a webhook endpoint, newest first, each with its last attempts',
        tags: ['webhooks'],
        params: webhookIdParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: deliveryList, ...commonProblems },
      },
    },
    async (request) => {
      await requireOwned(request.user.id, request.params.webhookId);
      return { items: (await store.listDeliveries(request.params.webhookId, request.query.limit)).map(deliveryView) };
    },
  );

  app.post(
    '/:webhookId/deliveries/:deliveryId/replay',
    {
      schema: {
        summary: 'Send a delivery again',
        description: 'The stored event, with the same webhook-id, retried with backoff like the first time. Not while it is still being retried.',
        tags: ['webhooks'],
        params: deliveryParams,
        response: { 202: replayAccepted, ...commonProblems, 409: problem },
      },
    },
    async (request, reply) => {
      const { webhookId, deliveryId } = request.params;
      const endpoint = await requireOwned(request.user.id, webhookId);
      const delivery = await store.findDelivery(webhookId, deliveryId);
      if (!delivery) throw notFound(`delivery ${deliveryId}`);
      const conflict = (detail: string) => new HttpProblem({ type: ProblemType.validation, title: 'Delivery cannot be replayed now', status: 409, detail });
      if (endpoint.disabledAt) throw conflict('the endpoint is disabled (its receiver answered 410 Gone)');
      if (delivery.status === 'pending' || delivery.status === 'retrying') throw conflict('the delivery is still being retried');
      await store.markPending(webhookId, deliveryId);
      const input: RedeliverWebhookInput = {
        taskId: delivery.taskId,
        userId: request.user.id,
        endpointId: webhookId,
        messageId: deliveryId,
        webhookPolicy: ctx.config.webhooks.retry,
      };
      try {
        await ctx.temporal.workflow.start<typeof redeliverWebhook>('redeliverWebhook', {
          taskQueue: ctx.config.temporal.taskQueue,
          workflowId: `webhook-replay-${webhookId}-${deliveryId}-${Date.now()}`,
          args: [input],
          staticSummary: `Replay webhook ${deliveryId} to ${webhookId}`,
        });
      } catch (err) {
        // Not started: leave it replayable rather than stuck as pending.
        await store.markFailed(webhookId, deliveryId, delivery.lastError ?? 'replay could not be started');
        throw err;
      }
      return reply.code(202).send({ id: deliveryId, status: 'pending' as const });
    },
  );
};

function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    createdAt: e.createdAt.toISOString(),
    disabledAt: e.disabledAt?.toISOString() ?? null,
    disabledReason: e.disabledReason,
  };
}

function deliveryView(d: WebhookDelivery) {
  return {
    id: d.messageId,
    taskId: d.taskId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    recentAttempts: d.recentAttempts.map((a) => ({ ...a, at: a.at.toISOString() })),
  };
}
