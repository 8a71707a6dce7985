/** /v1/refinements: start, read, list and cancel the caller's own refinements. */
import { z } from 'zod';
import { RefinementNotFoundError } from '../../refinements';
import type { GatewayContext, ZodApp } from '../context';
import { HttpProblem, notFound, ProblemType, validationProblem } from '../problems';
import {
  cancelAccepted,
  cancelBody,
  commonProblems,
  createRefinementBody,
  idempotencyHeaders,
  listQuery,
  problem,
  refinementList,
  refinementView,
  startedRefinement,
  taskIdParams,
} from '../schemas';
import { readMultipartRefinement } from '../uploads';
import { refinementLinks } from '../views';
import { streamRefinementEvents } from './events';

export function registerRefinementRoutes(app: ZodApp, ctx: GatewayContext): void {
  const { ownership, refinements, statusCache, views } = ctx;

  /** 404 for unknown and for someone else's: the answer must not tell the two apart. */
  const requireOwned = async (userId: string, taskId: string) => {
    const row = await ownership.find(userId, taskId);
    if (!row) throw notFound(`refinement ${taskId}`);
    return row;
  };

  app.post(
    '/v1/refinements',
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
      if (admitted.replayed) reply.header('idempotent-replayed', 'true');
      const links = refinementLinks(admitted.taskId);
      return reply
        .code(202)
        .header('location', links.self)
        .send({ taskId: admitted.taskId, status: admitted.status, links, ...(admitted.callbackSecret ? { callbackSecret: admitted.callbackSecret } : {}) });
    },
  );

  app.get(
    '/v1/refinements',
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
      return { items: page.items.map((row) => views.summary(row)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/refinements/:taskId',
    {
      schema: {
        summary: 'Where a refinement stands',
        tags: ['refinements'],
        params: taskIdParams,
        response: { 200: refinementView, ...commonProblems },
      },
    },
    async (request) => {
      await requireOwned(request.user.id, request.params.taskId);
      const progress = await readProgress(ctx, request.params.taskId);
      await statusCache.record(progress);
      return views.refinement(progress);
    },
  );

  app.get(
    '/v1/refinements/:taskId/events',
    {
      schema: {
        summary: 'Server-Sent Events: one `progress` event per change, then `end` with the final state',
        tags: ['refinements'],
        params: taskIdParams,
        produces: ['text/event-stream'],
        response: { 200: z.string().meta({ description: 'text/event-stream; each data line is a refinement view' }), ...commonProblems },
      },
    },
    async (request, reply) => {
      await requireOwned(request.user.id, request.params.taskId);
      // Read once before streaming, so an unknown workflow is still an ordinary 404 answer.
      await readProgress(ctx, request.params.taskId);
      await streamRefinementEvents(ctx, request, reply, request.params.taskId);
    },
  );

  app.post(
    '/v1/refinements/:taskId/cancel',
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
}

async function readProgress(ctx: GatewayContext, taskId: string) {
  try {
    return await ctx.refinements.progress(taskId);
  } catch (err) {
    // Owned but never started (a start that failed after the claim): nothing to show yet.
    if (err instanceof RefinementNotFoundError) throw notFound(`refinement ${taskId}`);
    throw err;
  }
}
