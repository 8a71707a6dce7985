/**
 * Who may use /codec: an operator, never a user. Decoding a payload reveals any user's prompt, so a
 * user's JWT or API key (enough for their own runs through /v1) is refused with 403. Accepted:
 *  - `Authorization: Bearer <CODEC_AUTH_TOKEN>`: the operator's shared token, for tools
 *    (`temporal workflow show --codec-endpoint … --codec-auth "Bearer …"`);
 *  - a JWT from the gateway's identity provider carrying CODEC_OPERATOR_CLAIM (e.g.
 *    `refinery_role=operator`): what the Web UI sends when it passes its signed-in operator's token.
 * With CODEC_AUTH_DISABLED (local development on loopback only) no credential is asked for.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import type { CodecServerConfig } from '../../config';
import { HttpProblem, ProblemType } from '../http/problems';
import { looksLikeApiKey } from '../stores/api-keys';
import { unauthorized, type Authenticator } from './authenticator';

export class OperatorAuthenticator {
  private readonly tokenDigest?: Buffer;

  constructor(
    private readonly settings: CodecServerConfig,
    private readonly users: Authenticator,
  ) {
    if (settings.authToken) this.tokenDigest = digest(settings.authToken);
  }

  async authenticate(request: FastifyRequest): Promise<void> {
    if (this.settings.authDisabled) return;
    if (request.headers['x-api-key']) throw forbidden('API keys act for one user and cannot decode payloads');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer) throw unauthorized('missing credentials: send Authorization: Bearer <operator token>');
    // Digests have equal lengths, so the comparison takes the same time whatever was sent.
    if (this.tokenDigest && timingSafeEqual(digest(bearer), this.tokenDigest)) return;
    if (looksLikeApiKey(bearer)) throw forbidden('API keys act for one user and cannot decode payloads');
    const claims = await this.users.verifyJwt(bearer);
    const { name, value } = this.settings.operatorClaim;
    if (!hasClaim(claims, name, value)) throw forbidden(`this token is not an operator's: /codec needs the claim ${name}=${value}`);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A string claim equal to `value`, or an array claim (a roles list) that contains it. */
function hasClaim(claims: JWTPayload, name: string, value: string): boolean {
  const claim = claims[name];
  return claim === value || (Array.isArray(claim) && claim.includes(value));
}

function forbidden(detail: string): HttpProblem {
  return new HttpProblem({ type: ProblemType.forbidden, title: 'Forbidden', status: 403, detail });
}
