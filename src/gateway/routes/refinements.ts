/**
 * /v1/refinements: start, read, list and cancel the caller's own refinements, and follow one as a
 * stream of Server-Sent Events.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditTo } from '../../observability/audit';
import { RefinementNotFoundError } from '../../client/refinements';
import type { GatewayContext, RouteOptions } from '../http/context';
import { HttpProblem, notFound, ProblemType, validationProblem } from '../http/problems';
import { replyStarted } from '../started-reply';
import type { OwnershipRow } from '../stores/ownership';
import type { RefinementProgress } from '../../workflows/types';
import { readMultipartRefinement } from './refinements.multipart';
import {
  cancelAccepted,
  cancelBody,
  createRefinementBody,
  idempotencyHeaders,
  listQuery,
  refinementList,
  refinementView,
  startedRefinement,
  taskIdParams,
} from './refinements.schemas';
import { commonProblems, problem } from './shared.schemas';

/** Registered under /v1/refinements. */
export const refinementRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  const { ownership, refinements, statusCache, views } = ctx;

  /** 404 for unknown and for someone else's: the answer must not tell the two apart. */
  const requireOwned = async (userId: string, taskId: string) => {
    const row = await ownership.find(userId, taskId);
    if (!row) throw notFound(`refinement ${taskId}`);
    return row;
  };

  app.post(
    '',
    {
      schema: {
        summary: 'Start a refinement',
        description:
          'JSON body with originalImageUrl, or multipart/form-data with the same text fields and the original image as the file part `image`. ' +
          'An Idempotency-Key header makes a retried request return the same refinement.',
        tags: ['refinements'],
        consumes: ['application/json', 'multipart/form-data'],
        headers: idempotencyHeaders,
        body: createRefinementBody,
        response: { 202: startedRefinement, ...commonProblems, 409: problem, 413: problem, 415: problem, 422: problem },
      },
      // Multipart is turned into the same fields before the schema sees them.
      preValidation: async (request) => {
        if (request.isMultipart()) {
          await readMultipartRefinement(request, { maxBytes: ctx.config.gateway.uploadMaxBytes, maxPixels: ctx.config.download.maxPixels });
        }
      },
    },
    async (request, reply) => {
      if (!request.upload && request.body.originalImageUrl === undefined) {
        throw validationProblem([
          { field: 'body.originalImageUrl', pointer: '/originalImageUrl', in: 'body', detail: 'is required unless the image is uploaded' },
        ]);
      }
      const admitted = await ctx.admission.admit({
        user: request.user,
        body: request.body,
        idempotencyKey: request.headers['idempotency-key'],
        upload: request.upload,
      });
      return replyStarted(request, reply, admitted);
    },
  );

  app.get(
    '',
    {
      schema: {
        summary: "List the caller's refinements, newest first",
        tags: ['refinements'],
        querystring: listQuery,
        response: { 200: refinementList, ...commonProblems },
      },
    },
    async (request) => {
      await statusCache.refreshRunning(request.user.id);
      const page = await ownership.list(request.user.id, request.query);
      // A page is at most 100 rows; each completed one needs its concept for the thumbnail (one indexed read).
      const concepts = await Promise.all(page.items.map((row) => (row.status === 'completed' ? ctx.conceptStore.findByTaskId(row.task_id) : undefined)));
      return { items: page.items.map((row, i) => views.summary(row, concepts[i])), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/:taskId',
    {
      schema: {
        summary: 'Where a refinement stands',
        tags: ['refinements'],
        params: taskIdParams,
        response: { 200: refinementView, ...commonProblems },
      },
    },
    async (request) => {
      const row = await requireOwned(request.user.id, request.params.taskId);
      const progress = await readProgress(ctx, request.params.taskId);
      await statusCache.record(progress);
      return views.refinement(progress, row);
    },
  );

  app.get(
    '/:taskId/events',
    {
      schema: {
        summary: 'Server-Sent Events: one `progress` event per change, then `end` with the final state',
        tags: ['refinements'],
        params: taskIdParams,
        produces: ['text/event-stream'],
        response: { 200: z.string().meta({ description: 'text/event-stream; each data line is a refinement view' }), ...commonProblems },
        description: 'One user may hold GATEWAY_MAX_STREAMS_PER_USER streams at once (429 beyond it); streams watching the same refinement share one poll of it.',
      },
    },
    async (request, reply) => {
      const row = await requireOwned(request.user.id, request.params.taskId);
      // Read once before streaming, so an unknown workflow is still an ordinary 404 answer; the
      // stream starts from what this read saw.
      const seen = await readProgress(ctx, request.params.taskId);
      if (!ctx.progressFeed.acquireStream(request.user.id)) {
        throw new HttpProblem(
          {
            type: ProblemType.rateLimited,
            title: 'Too many event streams',
            status: 429,
            detail: `at most ${ctx.config.gateway.maxStreamsPerUser} event streams may be open at once per user; close one first`,
          },
          { 'retry-after': '5' },
        );
      }
      try {
        await streamRefinementEvents(ctx, request, reply, row, seen);
      } finally {
        ctx.progressFeed.releaseStream(request.user.id);
      }
    },
  );

  app.post(
    '/:taskId/cancel',
    {
      schema: {
        summary: 'Cancel a running refinement',
        tags: ['refinements'],
        params: taskIdParams,
        body: cancelBody,
        response: { 202: cancelAccepted, ...commonProblems, 409: problem },
      },
    },
    async (request, reply) => {
      const { taskId } = request.params;
      await requireOwned(request.user.id, taskId);
      let outcome;
      try {
        outcome = await refinements.cancel(taskId, request.body?.reason);
      } catch (err) {
        if (err instanceof RefinementNotFoundError) throw notFound(`refinement ${taskId}`);
        throw err;
      }
      auditTo(request.log)('refinement.cancel_requested', { actor: request.user.id, via: request.user.via, taskId, reason: request.body?.reason, outcome });
      if (outcome === 'too-late') {
        await statusCache.record(await readProgress(ctx, taskId));
        throw new HttpProblem({
          type: ProblemType.notCancellable,
          title: 'Refinement can no longer be cancelled',
          status: 409,
          detail: `refinement ${taskId} has finished or is storing its concept`,
        });
      }
      return reply.code(202).send({ taskId, status: 'cancelling' as const });
    },
  );
};

async function readProgress(ctx: GatewayContext, taskId: string) {
  try {
    return await ctx.refinements.progress(taskId);
  } catch (err) {
    // Owned but never started (a start that failed after the claim): nothing to show yet.
    if (err instanceof RefinementNotFoundError) throw notFound(`refinement ${taskId}`);
    throw err;
  }
}

/**
 * The SSE stream of one refinement, on the gateway's shared poll of it (ProgressFeed): a `progress`
 * event whenever the stage, attempt or failure changes, then an `end` event with the final state,
 * then the stream closes. A few lines on the raw response do what an SSE plugin would.
 */
/** Comment lines this often keep proxies and load balancers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

async function streamRefinementEvents(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  row: OwnershipRow,
  seen: RefinementProgress,
): Promise<void> {
  const taskId = row.task_id;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx would otherwise buffer the stream and deliver it all at the end.
    'x-accel-buffering': 'no',
  });
  let eventId = 0;
  const send = (event: string, data: unknown) => {
    res.write(`id: ${++eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const stop = new AbortController();
  request.raw.on('close', () => stop.abort());
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  try {
    const last = await ctx.progressFeed.watch(taskId, (progress) => send('progress', ctx.views.refinement(progress, row)), stop.signal, seen);
    await ctx.statusCache.record(last);
    send('end', ctx.views.refinement(last, row));
  } catch (err) {
    if (!stop.signal.aborted) {
      request.log.error({ err, taskId }, 'refinement event stream failed');
      send('error', { title: 'event stream failed', detail: 'reconnect to resume' });
    }
  } finally {
    clearInterval(keepalive);
    res.end();
  }
}
