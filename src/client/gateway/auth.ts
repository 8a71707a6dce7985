/**
 * Who is calling: a Bearer JWT from the identity provider (HS256 shared secret, or keys from a JWKS
 * URL through jose; issuer, audience and expiry checked; `sub` is the user id, `is_anonymous` as Supabase sets
 * it), or an API key (`Authorization: Bearer rk_…` or `X-API-Key`). Anything else is a 401.
 */
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../../config';
import { ApiKeys, looksLikeApiKey } from './api-keys';
import { JwtError, verifyHs256, type JwtClaims } from './hs256';
import { HttpProblem, ProblemType } from './problems';
import { ID_PATTERN } from './schemas';

export interface AuthenticatedUser {
  id: string;
  /** Recorded on the concept; API-key callers are services acting for a real account. */
  isAnonymous: boolean;
  via: 'jwt' | 'api-key';
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser;
  }
}

/** Tolerated clock difference between the identity provider and this host. */
const CLOCK_TOLERANCE_SECONDS = 5;

export class Authenticator {
  /** Loaded on first use: jose is ESM-only, and only the JWKS path needs it. */
  private jwks?: Promise<(token: string) => Promise<JwtClaims>>;

  constructor(
    private readonly auth: GatewayConfig['auth'],
    private readonly apiKeys: ApiKeys,
  ) {
    if (!auth.jwksUrl && !auth.jwtSecret) throw new Error('the gateway needs JWT_SECRET or JWT_JWKS_URL');
  }

  async authenticate(request: FastifyRequest): Promise<AuthenticatedUser> {
    const apiKeyHeader = request.headers['x-api-key'];
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (typeof apiKeyHeader === 'string' && apiKeyHeader !== '') return this.fromApiKey(apiKeyHeader);
    if (!bearer) throw unauthorized('missing credentials: send Authorization: Bearer <token> or X-API-Key');
    return looksLikeApiKey(bearer) ? this.fromApiKey(bearer) : this.fromJwt(bearer);
  }

  private async fromApiKey(key: string): Promise<AuthenticatedUser> {
    const found = await this.apiKeys.authenticate(key);
    if (!found) throw unauthorized('unknown or revoked API key');
    return { id: found.userId, isAnonymous: false, via: 'api-key' };
  }

  private async fromJwt(token: string): Promise<AuthenticatedUser> {
    let claims: JwtClaims;
    try {
      claims = this.auth.jwksUrl
        ? await (await this.jwksVerifier())(token)
        : verifyHs256(token, this.auth.jwtSecret!, { ...this.auth, clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS });
    } catch (err) {
      const expired = (err instanceof JwtError && err.reason === 'expired') || (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw unauthorized(expired ? 'token expired' : `invalid token: ${(err as Error).message}`);
    }
    // The id becomes a path segment and part of workflow ids: refuse what the pipeline would refuse.
    if (typeof claims.sub !== 'string' || !ID_PATTERN.test(claims.sub)) throw unauthorized('token subject is not a usable user id');
    return { id: claims.sub, isAnonymous: claims.is_anonymous === true, via: 'jwt' };
  }

  private jwksVerifier(): Promise<(token: string) => Promise<JwtClaims>> {
    this.jwks ??= import('jose').then(({ createRemoteJWKSet, jwtVerify }) => {
      // jose caches the key set and refetches it when a token names an unknown key id.
      const keys = createRemoteJWKSet(new URL(this.auth.jwksUrl!));
      return async (token: string) =>
        (
          await jwtVerify(token, keys, {
            issuer: this.auth.issuer,
            audience: this.auth.audience,
            requiredClaims: ['sub', 'exp'],
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
            // The provider's asymmetric keys only: never HS* against a public key.
            algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
          })
        ).payload as JwtClaims;
    });
    return this.jwks;
  }
}

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(
    { type: ProblemType.unauthorized, title: 'Unauthorized', status: 401, detail },
    { 'www-authenticate': 'Bearer realm="refinery"' },
  );
}
