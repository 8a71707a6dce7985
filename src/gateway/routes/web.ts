/**
 * The web page for people (web/, built by Vite into WEB_DIST_DIR) and the two small public routes it
 * needs besides the API: the limits its form checks before uploading (with what the configured refiner
 * understands, shown beside the prompt), and the development login that
 * exists only while the gateway runs with the public local-development JWT secret. Its
 * Content-Security-Policy is in http/security-headers.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RefinerCapabilities } from '../../adapters/concept-service/concept-service';
import { ACCEPTED_CONTENT_TYPES } from '../../adapters/image-store/image-formats';
import { DEV_JWT_SECRET, type GatewayProcessConfig } from '../../config';
import { ID_PATTERN, LIMITS } from '../../workflows/input-validation';
import { mintDevToken } from '../auth/dev-token';
import { notFound, validationProblem } from '../http/problems';
import { problem } from './shared.schemas';

const DEV_TOKEN_TTL_SECONDS = 8 * 3600;

export const limitsView = z.object({
  uploadMaxBytes: z.number().int(),
  imageTypes: z.array(z.string()),
  maxPixels: z.number().int(),
  urlLength: z.number().int(),
  promptLength: z.number().int(),
  descriptionLength: z.number().int(),
  aspectLength: z.number().int(),
  preserveAspects: z.number().int(),
  /** The configured refiner and what it understands: hints for writing a prompt it can carry out. */
  refiner: z.object({
    refiner: z.string().meta({ description: 'Which refiner runs the refinements (e.g. `local`, `jigsawstack`, `openai`).' }),
    understands: z.enum(['instructions', 'open-prompt']).meta({
      description: '`instructions`: only the kinds of edit listed; `open-prompt`: a model that takes any prompt.',
    }),
    /** Kinds of instruction, each with example phrasings. */
    instructions: z.array(z.object({ kind: z.string(), description: z.string(), examples: z.array(z.string()) })),
    /** Aspects the refiner can keep unchanged when asked. */
    preservableAspects: z.array(z.string()),
  }),
});

export interface WebOptions {
  config: GatewayProcessConfig;
}

export interface WebApiOptions extends WebOptions {
  /** The configured refiner's capabilities (the gateway context's). */
  refiner: RefinerCapabilities;
}

/** Registered under /v1, without authentication: the page needs both before anyone has signed in. */
export const webPageApi: FastifyPluginAsyncZod<WebApiOptions> = async (app, { config, refiner }) => {
  const devLogin = !config.gateway.auth.jwksUrl && config.gateway.auth.jwtSecret === DEV_JWT_SECRET;

  app.get(
    '/limits',
    {
      schema: {
        summary: 'What a start accepts: sizes, types and lengths, and what the configured refiner understands (public)',
        tags: ['web'],
        response: { 200: limitsView },
      },
    },
    async () => ({
      uploadMaxBytes: config.gateway.uploadMaxBytes,
      // The formats accepted as uploads (judged from the bytes by inspectImage).
      imageTypes: [...ACCEPTED_CONTENT_TYPES],
      maxPixels: config.download.maxPixels,
      urlLength: LIMITS.urlLength,
      promptLength: LIMITS.promptLength,
      descriptionLength: LIMITS.descriptionLength,
      aspectLength: LIMITS.aspectLength,
      preserveAspects: LIMITS.preserveAspects,
      refiner,
    }),
  );

  app.get(
    '/dev-login',
    {
      schema: {
        summary: 'Whether the development login is on (only with the public local-development JWT secret)',
        tags: ['web'],
        response: { 200: z.object({ available: z.boolean() }) },
      },
    },
    async () => ({ available: devLogin }),
  );

  app.post(
    '/dev-login',
    {
      schema: {
        summary: 'Development login: a token for any user name (404 unless the gateway runs with the local-development secret)',
        tags: ['web'],
        body: z.strictObject({ userId: z.string().regex(ID_PATTERN, "must be 1-128 letters, digits, '.', '_' or '-'") }),
        response: { 200: z.object({ token: z.string(), expiresInSeconds: z.number().int() }), 400: problem, 404: problem },
      },
    },
    async (request) => {
      if (!devLogin) throw notFound('development login: the gateway is not running with the local-development secret');
      if (!request.body) throw validationProblem([{ field: 'body.userId', pointer: '/userId', in: 'body', detail: 'is required' }]);
      const token = await mintDevToken(config.gateway.auth, { userId: request.body.userId, ttlSeconds: DEV_TOKEN_TTL_SECONDS });
      return { token, expiresInSeconds: DEV_TOKEN_TTL_SECONDS };
    },
  );
};

/** The page itself, at the root: the built files, or a page that says how to build them. */
export const webPage: FastifyPluginAsyncZod<WebOptions> = async (app, { config }) => {
  const root = config.web.distDir;
  if (fs.existsSync(path.join(root, 'index.html'))) {
    await app.register(fastifyStatic, {
      root,
      // Only the files present at start: no catch-all route shadowing the API's 404s.
      wildcard: false,
      // Our own cache-control below, instead of send's max-age=0.
      cacheControl: false,
      setHeaders(res, file) {
        // Vite names assets by content hash; index.html must be revalidated to pick up a new build.
        const immutable = file.includes(`${path.sep}assets${path.sep}`);
        res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/html; charset=utf-8').header('retry-after', '60').send(NOT_BUILT_PAGE),
    );
  }
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Refinery: web page not built</title></head>
<body><main><h1>The web page is not built</h1>
<p>Run <code>npm run build:web</code> (or <code>make start</code>, which builds it), then restart the gateway.
The API works meanwhile: see <a href="/docs">/docs</a>.</p></main></body></html>
`;
