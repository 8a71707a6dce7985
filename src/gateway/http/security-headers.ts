/**
 * helmet's security headers on every answer, with a Content-Security-Policy that is exactly the web
 * page's needs (nothing but this origin, plus blob: previews and the signed image links' origin),
 * and the looser policy Swagger UI needs on /docs only.
 */
import fastifyHelmet from '@fastify/helmet';
import fp from 'fastify-plugin';
import type { GatewayProcessConfig } from '../../config';

/** helmet directives for every answer: the web page's needs, exactly. */
function pageContentSecurityPolicy(config: GatewayProcessConfig): Record<string, string[]> {
  const imageOrigin = new URL(config.imageStore.publicBaseUrl).origin;
  return {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    // blob: previews a chosen file before it is uploaded; signed image links may live on another origin.
    imgSrc: ["'self'", 'blob:', imageOrigin],
    // fetch() of the API and of its event stream.
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    manifestSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
  };
}

/** Swagger UI styles itself inline and draws its icons as data: images. */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

/** Register before the API docs: the /docs hook replaces the page's policy after helmet has set it. */
export const securityHeaders = fp<{ config: GatewayProcessConfig }>(
  async (app, { config }) => {
    await app.register(fastifyHelmet, { contentSecurityPolicy: { useDefaults: false, directives: pageContentSecurityPolicy(config) } });
    app.addHook('onRequest', async (request, reply) => {
      if (request.url === '/docs' || request.url.startsWith('/docs/')) reply.header('content-security-policy', DOCS_CSP);
    });
  },
  { name: 'refinery-security-headers' },
);
