/**
 * Who is calling: a Bearer JWT from the identity provider (HS256 shared secret, or the provider's
 * keys from a JWKS URL; issuer, audience and expiry checked by jose; `sub` is the user id,
 * `is_anonymous` as Supabase sets it), or an API key (`Authorization: Bearer rk_…` or `X-API-Key`).
 * Anything else is a 401.
 */
import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { GatewayConfig } from '../../config';
import { ID_PATTERN } from '../../workflows/input-validation';
import { HttpProblem, ProblemType } from '../http/problems';
import { looksLikeApiKey, type ApiKeys } from '../stores/api-keys';
import { VerifiedTokens } from './verified-tokens';

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

const CLAIM_NAMES: Record<string, string> = { aud: 'audience', iss: 'issuer', sub: 'subject', nbf: 'not-before time' };

/** Tolerated clock difference between the identity provider and this host. */
const CLOCK_TOLERANCE_SECONDS = 5;

export class Authenticator {
  private readonly verify: (token: string) => Promise<JWTPayload>;

  /**
   * `verified`: JWTs already checked, for their lifetime and at most a minute. API keys are not
   * kept: a revoked key must be refused at its next request, and its check is one indexed lookup.
   */
  constructor(
    auth: GatewayConfig['auth'],
    private readonly apiKeys: ApiKeys,
    private readonly verified = new VerifiedTokens(),
  ) {
    const checks: JWTVerifyOptions = {
      issuer: auth.issuer,
      audience: auth.audience,
      requiredClaims: ['sub', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    };
    if (auth.jwksUrl) {
      // jose caches the key set and refetches it when a token names an unknown key id.
      const keys = createRemoteJWKSet(new URL(auth.jwksUrl));
      // The provider's asymmetric keys only: never HS* against a public key.
      const algorithms = ['RS256', 'ES256', 'EdDSA', 'PS256'];
      this.verify = async (token) => (await jwtVerify(token, keys, { ...checks, algorithms })).payload;
    } else if (auth.jwtSecret) {
      const secret = new TextEncoder().encode(auth.jwtSecret);
      this.verify = async (token) => (await jwtVerify(token, secret, { ...checks, algorithms: ['HS256'] })).payload;
    } else {
      throw new Error('the gateway needs JWT_SECRET or JWT_JWKS_URL');
    }
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

  /** The claims of a JWT from the identity provider (signature, issuer, audience, expiry checked), or a 401. */
  async verifyJwt(token: string): Promise<Readonly<JWTPayload>> {
    const known = this.verified.get(token);
    if (known) return known;
    try {
      const claims = await this.verify(token);
      this.verified.remember(token, claims);
      return claims;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('token expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed && CLAIM_NAMES[err.claim]) {
        throw unauthorized(`invalid token: ${CLAIM_NAMES[err.claim]} is not accepted`);
      }
      throw unauthorized(`invalid token: ${(err as Error).message}`);
    }
  }

  private async fromJwt(token: string): Promise<AuthenticatedUser> {
    const claims = await this.verifyJwt(token);
    // The id becomes a path segment and part of workflow ids: refuse what the pipeline would refuse.
    if (typeof claims.sub !== 'string' || !ID_PATTERN.test(claims.sub)) throw unauthorized('token subject is not a usable user id');
    return { id: claims.sub, isAnonymous: claims.is_anonymous === true, via: 'jwt' };
  }
}

export function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(
    { type: ProblemType.unauthorized, title: 'Unauthorized', status: 401, detail },
    { 'www-authenticate': 'Bearer realm="refinery"' },
  );
}
