/**
 * The Temporal Web UI's "remote codec" protocol: POST /codec/encode and /codec/decode take and
 * answer `{ payloads: [...] }`, each payload in protobuf JSON (base64 `data`, base64 metadata values).
 * The UI calls these from the operator's browser, so they answer CORS for the configured UI origins
 * only; every call needs an operator credential (operator-auth.ts). Registered only when payload
 * encryption is configured: without keys there is nothing to decode, and /codec is a 404.
 */
import fastifyCors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PayloadDecryptionError } from '../../errors';
import { Authenticator } from '../auth/authenticator';
import { OperatorAuthenticator } from '../auth/operator-auth';
import type { RouteOptions } from '../http/context';
import { HttpProblem, ProblemType } from '../http/problems';
import { ApiKeys } from '../stores/api-keys';

/** A history page the UI decodes at once holds many payloads; ours are small (no image bytes), so this is generous. */
const CODEC_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const jsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
const payloadsBody = z.object({ payloads: z.array(jsonPayload) });
type JsonPayload = z.infer<typeof jsonPayload>;

const problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string().optional() }).passthrough();

export interface CodecRouteOptions extends RouteOptions {
  /** The Temporal clients' own, from temporalDataConverter, applied in the same order. */
  codecs: readonly PayloadCodec[];
}

/** Registered under /codec, in a scope of its own: the CORS and operator hooks below stay inside it. */
export const codecRoutes: FastifyPluginAsyncZod<CodecRouteOptions> = async (app, { ctx, codecs }) => {
  const settings = ctx.config.codec;
  // @fastify/cors is a fastify-plugin: it hooks this scope, so the API gets no CORS.
  const allowed = new Set(settings.corsOrigins);
  await app.register(fastifyCors, {
    // A function, not the list: for any other origin the plugin then adds no CORS header at all
    // (with a list it still sends Access-Control-Allow-Credentials) and a preflight is a 404.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['POST'],
    // What the UI sends: its JSON body, the operator's token, and the namespace of the run it shows.
    allowedHeaders: ['authorization', 'content-type', 'x-namespace'],
    // The UI's "include cross-origin credentials" option.
    credentials: true,
    maxAge: 600,
  });
  const operators = new OperatorAuthenticator(settings, new Authenticator(ctx.config.gateway.auth, new ApiKeys(ctx.db)));
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'OPTIONS') await operators.authenticate(request);
  });

  const route = (name: 'encode' | 'decode', transform: (payloads: Payload[]) => Promise<Payload[]>, summary: string) =>
    app.post(
      `/${name}`,
      {
        bodyLimit: CODEC_BODY_LIMIT_BYTES,
        schema: {
          summary,
          tags: ['codec'],
          body: payloadsBody,
          response: { 200: payloadsBody, 401: problem, 403: problem, 422: problem },
        },
      },
      async (request) => {
        try {
          return { payloads: (await transform(request.body.payloads.map(fromJson))).map(toJson) };
        } catch (err) {
          if (!(err instanceof PayloadDecryptionError)) throw err;
          throw new HttpProblem({ type: ProblemType.validation, title: 'Payload cannot be decrypted', status: 422, detail: err.message });
        }
      },
    );
  const encode = async (payloads: Payload[]) => {
    for (const codec of codecs) payloads = await codec.encode(payloads);
    return payloads;
  };
  const decode = async (payloads: Payload[]) => {
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    return payloads;
  };
  route('encode', encode, 'Encrypt payloads with the current key (Web UI remote codec)');
  route('decode', decode, 'Decrypt payloads with any configured key (Web UI remote codec)');
};

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}
