/**
 * GET /images/<key>?expires=&signature=: stored images, only through URLs the gateway signed. No
 * login: the signature is the permission, so the URL works in an <img> tag until it expires.
 */
import { z } from 'zod';
import { assertSafeKey } from '../../../adapters/image-store/filesystem-image-store';
import { BlobNotFoundError } from '../../../adapters/image-store/image-store';
import type { GatewayContext, ZodApp } from '../context';
import { HttpProblem, notFound, ProblemType } from '../problems';
import { problem } from '../schemas';

const imageQuery = z.object({ expires: z.string().max(20).optional(), signature: z.string().max(100).optional() });

export function registerImageRoutes(app: ZodApp, ctx: GatewayContext): void {
  app.get(
    '/images/*',
    {
      schema: {
        summary: 'A stored image through its signed, expiring URL',
        tags: ['images'],
        querystring: imageQuery,
        produces: ['image/png', 'image/jpeg', 'image/webp'],
        response: { 200: z.any().meta({ description: 'the image bytes' }), 403: problem, 404: problem },
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
      try {
        assertSafeKey(key);
        const { data, contentType } = await ctx.imageStore.get(key);
        const secondsLeft = Math.max(0, Number(request.query.expires) - Math.floor(Date.now() / 1000));
        return reply
          .header('content-type', contentType)
          // Cacheable by the browser only, and never beyond the link's own life.
          .header('cache-control', `private, max-age=${secondsLeft}`)
          // helmet's same-origin default would stop other sites from showing the image.
          .header('cross-origin-resource-policy', 'cross-origin')
          .send(data);
      } catch (err) {
        if (err instanceof BlobNotFoundError || (err instanceof Error && err.message.startsWith('invalid image key'))) throw notFound('image');
        throw err;
      }
    },
  );
}
