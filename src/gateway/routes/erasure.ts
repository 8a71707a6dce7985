/**
 * POST /v1/me/erasure: the caller asks for everything Refinery holds about them to be erased (the
 * eraseUser workflow, docs/erasure.md). 202 at once; the erasure runs durably on the workers.
 * GET /v1/me/erasure: where the caller's latest erasure stands, with counts per kind.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErasureLog, type ErasureRecord } from '../../adapters/user-data/erasure-log';
import { ErasureClient } from '../../client/erasures';
import { auditTo } from '../../observability/audit';
import type { RouteOptions } from '../http/context';
import { notFound } from '../http/problems';
import { erasureAccepted, erasureView, type ErasureView } from './erasure.schemas';
import { commonProblems } from './shared.schemas';

const STATUS_PATH = '/v1/me/erasure';

/** Registered under /v1/me. */
export const erasureRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  const erasures = new ErasureClient(ctx.temporal, ctx.config.temporal.taskQueue);
  const log = new ErasureLog(ctx.db);

  app.post(
    '/erasure',
    {
      schema: {
        summary: 'Erase everything Refinery holds about me',
        description:
          'Cancels your running refinements and removes your concepts and images, uploads, webhook endpoints and ' +
          'deliveries, API keys and refinement histories. Cannot be undone. A request while an erasure runs joins it.',
        tags: ['erasure'],
        response: { 202: erasureAccepted, ...commonProblems },
      },
    },
    async (request, reply) => {
      const userId = request.user.id;
      const started = await erasures.start({ userId, requestedBy: 'user' });
      await log.requested({ id: started.erasureId, subjectUserId: userId, requestedBy: 'user', requestedAt: started.requestedAt });
      auditTo(request.log)('user.erasure_requested', { actor: userId, subject: userId, requestedBy: 'user', erasureId: started.erasureId });
      const record = await log.find(started.erasureId);
      return reply
        .code(202)
        .header('location', STATUS_PATH)
        .send({ erasureId: started.erasureId, status: record?.status ?? 'requested', statusUrl: STATUS_PATH });
    },
  );

  app.get(
    '/erasure',
    {
      schema: {
        summary: 'My latest erasure',
        description: 'Its status and what it removed so far. 404 when you never asked for one.',
        tags: ['erasure'],
        response: { 200: erasureView, ...commonProblems },
      },
    },
    async (request) => {
      const record = await log.latestFor(request.user.id);
      if (!record) throw notFound('erasure for this user');
      return view(record);
    },
  );
};

function view(record: ErasureRecord): ErasureView {
  return {
    erasureId: record.id,
    status: record.status,
    requestedBy: record.requestedBy,
    requestedAt: record.requestedAt,
    finishedAt: record.finishedAt,
    counts: record.counts,
  };
}
