/** GET /v1/concepts/:conceptId: the stored concept, to its owner only, with a freshly signed image URL. */
import type { GatewayContext, ZodApp } from '../context';
import { notFound } from '../problems';
import { commonProblems, conceptIdParams, conceptView } from '../schemas';

export function registerConceptRoutes(app: ZodApp, ctx: GatewayContext): void {
  app.get(
    '/v1/concepts/:conceptId',
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
}
