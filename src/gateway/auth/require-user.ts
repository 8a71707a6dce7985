/**
 * Authentication for the routes of the scope it is registered in (a fastify-plugin, so its hooks
 * apply to that scope and not beyond): every request names its user or is refused 401 before
 * anything else runs, and the OpenAPI document marks those routes as needing a credential.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { auditTo } from '../../observability/audit';
import { gatewayAuthRefusals } from '../../observability/metrics';
import type { RouteOptions } from '../http/context';
import { ApiKeys, looksLikeApiKey } from '../stores/api-keys';
import { Authenticator } from './authenticator';

export const requireUser = fp<RouteOptions>(
  async (app, { ctx }) => {
    const authenticator = new Authenticator(ctx.config.gateway.auth, new ApiKeys(ctx.db));
    app.decorateRequest('user', null as never);
    app.addHook('onRequest', async (request) => {
      try {
        request.user = await authenticator.authenticate(request);
      } catch (err) {
        // Audited without the credential: only which kind was presented and why it was refused.
        const credential = credentialKind(request);
        gatewayAuthRefusals.inc({ credential });
        auditTo(request.log)('authentication.refused', { credential, reason: (err as Error).message, route: request.routeOptions.url, ip: request.ip });
        throw err;
      }
    });
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ bearer: [] }, { apiKey: [] }] };
    });
  },
  { name: 'refinery-require-user' },
);

/** Which kind of credential a request presented (for refusals), never the credential itself. */
function credentialKind(request: FastifyRequest): 'none' | 'jwt' | 'api_key' {
  if (typeof request.headers['x-api-key'] === 'string' && request.headers['x-api-key'] !== '') return 'api_key';
  const bearer = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer) return 'none';
  return looksLikeApiKey(bearer) ? 'api_key' : 'jwt';
}
