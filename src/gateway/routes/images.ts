/**
 * GET /images/<key>?expires=&signature=: stored images, only through URLs the gateway signed. No
 * login: the signature is the permission, so the URL works in an <img> tag until it expires.
 * The bytes are streamed from the store (IMAGE_DELIVERY=stream), or the answer is a redirect to a
 * presigned URL of the store that expires with the link (IMAGE_DELIVERY=redirect, S3 only).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ACCEPTED_CONTENT_TYPES } from '../../adapters/image-store/image-formats';
import { assertSafeKey, InvalidImageKeyError } from '../../adapters/image-store/image-keys';
import { BlobNotFoundError } from '../../adapters/image-store/image-store';
import type { RouteOptions } from '../http/context';
import { HttpProblem, notFound, ProblemType } from '../http/problems';
import { problem } from './shared.schemas';

const imageQuery = z.object({ expires: z.string().max(20).optional(), signature: z.string().max(100).optional() });

/** Registered under /images: the rest of the path is the store key. */
export const imageRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { ctx }) => {
  app.get(
    '/*',
    {
      schema: {
        summary: 'A stored image through its signed, expiring URL',
        tags: ['images'],
        querystring: imageQuery,
        produces: [...ACCEPTED_CONTENT_TYPES],
        response: {
          200: z.any().meta({ description: 'the image bytes' }),
          307: z.any().meta({ description: 'IMAGE_DELIVERY=redirect: the image at a presigned URL of the store, valid no longer than the link' }),
          403: problem,
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const key = (request.params as { '*': string })['*'];
      const verdict = ctx.signer.verify(key, request.query.expires, request.query.signature);
      if (verdict !== 'valid') {
        throw new HttpProblem({
          type: ProblemType.forbidden,
          title: 'Forbidden',
          status: 403,
          detail: verdict === 'expired' ? 'this image link has expired' : 'this image link is not valid',
        });
      }
      const secondsLeft = Math.max(0, Number(request.query.expires) - Math.floor(Date.now() / 1000));
      try {
        assertSafeKey(key);
        if (ctx.config.imageStore.delivery === 'redirect' && ctx.imageStore.presignedGetUrl) {
          // S3 caps presigned URLs at 7 days; the link's own expiry is the usual, lower bound.
          const target = await ctx.imageStore.presignedGetUrl(key, Math.min(secondsLeft, 7 * 24 * 3600));
          return reply.header('cache-control', `private, max-age=${secondsLeft}`).redirect(target, 307);
        }
        const blob = await ctx.imageStore.open(key);
        if (blob.size !== undefined) reply.header('content-length', blob.size);
        return reply
          .header('content-type', blob.contentType)
          // Cacheable by the browser only, and never beyond the link's own life.
          .header('cache-control', `private, max-age=${secondsLeft}`)
          // helmet's same-origin default would stop other sites from showing the image.
          .header('cross-origin-resource-policy', 'cross-origin')
          .send(blob.stream);
      } catch (err) {
        if (err instanceof BlobNotFoundError || err instanceof InvalidImageKeyError) throw notFound('image');
        throw err;
      }
    },
  );
};
