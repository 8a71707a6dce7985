/**
 * Concept lineage: refine a stored concept again, list the caller's concepts, show a concept's
 * lineage, delete a concept. Someone else's concept answers 404 on every route, like an unknown id.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { themeAsWritten, type RefinedConcept } from '../../adapters/concept-store/concept-store';
import { allPublishedKeys, uploadKey } from '../../adapters/image-store/key-layout';
import type { RouteOptions } from '../http/context';
import { notFound } from '../http/problems';
import { replyStarted } from '../started-reply';
import { conceptIdParams } from './concepts.schemas';
import { conceptList, conceptListQuery, lineageView, refineConceptBody } from './lineage.schemas';
import { startedRefinement } from './refinements.schemas';
import { commonProblems, problem } from './shared.schemas';

/** A lineage longer than this is cut (a cycle cannot happen, but a walk must end anyway). */
const MAX_CHAIN = 1000;

/** Registered under /v1/concepts, beside conceptRoutes. */
export const lineageRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  const requireOwnedConcept = async (userId: string, conceptId: string): Promise<RefinedConcept> => {
    const concept = await ctx.conceptStore.findById(conceptId);
    if (!concept || concept.userId !== userId) throw notFound(`concept ${conceptId}`);
    return concept;
  };
  const view = (concept: RefinedConcept) => ({
    ...ctx.views.concept(concept),
    parentConceptId: concept.parentConceptId,
    rootConceptId: concept.rootConceptId,
    parentDeleted: concept.parentDeleted,
  });

  app.post(
    '/:conceptId/refinements',
    {
      schema: {
        summary: 'Refine a stored concept again',
        description:
          "Starts a refinement whose original is the concept's stored image (read by the worker from the image store). " +
          "Descriptions default to the concept's. An Idempotency-Key header makes a retried request return the same refinement.",
        tags: ['concepts'],
        params: conceptIdParams,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/).optional() }),
        body: refineConceptBody,
        response: { 202: startedRefinement, ...commonProblems, 422: problem },
      },
    },
    async (request, reply) => {
      const parent = await requireOwnedConcept(request.user.id, request.params.conceptId);
      const body = request.body;
      const admitted = await ctx.admission.admit({
        user: request.user,
        body: {
          refinementPrompt: body.refinementPrompt,
          logoDescription: body.logoDescription ?? parent.logoDescription,
          // The theme the person wrote, not the stored one the seed grows by "(refined: …)" each time.
          themeDescription: body.themeDescription ?? themeAsWritten(parent),
          preserveAspects: body.preserveAspects,
          callbackUrl: body.callbackUrl,
        },
        idempotencyKey: request.headers['idempotency-key'],
        parentConcept: parent,
      });
      return replyStarted(request, reply, admitted, { parentConceptId: parent.id });
    },
  );

  app.get(
    '',
    {
      schema: {
        summary: "List the caller's concepts, newest first",
        tags: ['concepts'],
        querystring: conceptListQuery,
        response: { 200: conceptList, ...commonProblems },
      },
    },
    async (request) => {
      const { root, cursor, limit } = request.query;
      const page = await ctx.conceptStore.listByUser(request.user.id, { rootConceptId: root, cursor, limit });
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/:conceptId/lineage',
    {
      schema: {
        summary: "A concept's lineage: the chain from its root to it, and its direct children",
        tags: ['concepts'],
        params: conceptIdParams,
        response: { 200: lineageView, ...commonProblems },
      },
    },
    async (request) => {
      const concept = await requireOwnedConcept(request.user.id, request.params.conceptId);
      const chain: RefinedConcept[] = [concept];
      let truncated = false;
      for (let current = concept; current.parentConceptId && chain.length < MAX_CHAIN; ) {
        const parent = current.parentDeleted ? undefined : await ctx.conceptStore.findById(current.parentConceptId);
        if (!parent || parent.userId !== request.user.id) {
          truncated = true;
          break;
        }
        chain.unshift(parent);
        current = parent;
      }
      const children = (await ctx.conceptStore.findChildren(concept.id)).filter((c) => c.userId === request.user.id);
      return { chain: chain.map(view), truncated, children: children.map(view) };
    },
  );

  app.delete(
    '/:conceptId',
    {
      schema: {
        summary: 'Delete a concept and its image',
        description:
          'The original it was made from goes too when it was uploaded, and its refinement no longer links to it. ' +
          'Its children keep their own images and record that their parent was deleted.',
        tags: ['concepts'],
        params: conceptIdParams,
        response: { 204: z.null().meta({ description: 'deleted' }), ...commonProblems },
      },
    },
    async (request, reply) => {
      const concept = await requireOwnedConcept(request.user.id, request.params.conceptId);
      // The images first: if removing them fails, the row is still there and the delete can be retried.
      // Nothing else reads the upload once its refinement has ended (a child reads its parent's refined image).
      await ctx.imageStore.remove([...allPublishedKeys(concept.userId, concept.taskId), uploadKey(concept.taskId)]);
      await ctx.ownership.forgetUploadedOriginal(concept.userId, concept.taskId);
      await ctx.conceptStore.deleteConcept(concept.id);
      return reply.code(204).send(null);
    },
  );
};
