/** GET /v1/concepts/:conceptId: the stored concept, to its owner only, with a freshly signed image URL. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteOptions } from '../http/context';
import { notFound } from '../http/problems';
import { conceptIdParams, conceptView } from './concepts.schemas';
import { commonProblems } from './shared.schemas';

/** Registered under /v1/concepts. */
export const conceptRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  app.get(
    '/:conceptId',
    {
      schema: {
        summary: 'A refined concept',
        tags: ['concepts'],
        params: conceptIdParams,
        response: { 200: conceptView, ...commonProblems },
      },
    },
    async (request) => {
      const concept = await ctx.conceptStore.findById(request.params.conceptId);
      if (!concept || concept.userId !== request.user.id) throw notFound(`concept ${request.params.conceptId}`);
      return ctx.views.concept(concept);
    },
  );
};
