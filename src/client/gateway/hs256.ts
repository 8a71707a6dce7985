/**
 * HS256 JWTs with node:crypto. jose (ESM only) serves the JWKS path; the shared-secret path is small
 * enough to do here, which keeps it loadable everywhere the CommonJS build runs, jest included.
 * Only HS256 is accepted: a token naming any other algorithm (`none` above all) is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface JwtClaims {
  sub?: unknown;
  iss?: unknown;
  aud?: unknown;
  exp?: unknown;
  nbf?: unknown;
  iat?: unknown;
  is_anonymous?: unknown;
  [claim: string]: unknown;
}

export class JwtError extends Error {
  constructor(
    readonly reason: 'malformed' | 'signature' | 'expired' | 'not-yet-valid' | 'issuer' | 'audience',
    message: string,
  ) {
    super(message);
  }
}

export interface ClaimExpectations {
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  now?: number;
}

export function signHs256(claims: JwtClaims, secret: string): string {
  const header = encode({ alg: 'HS256', typ: 'JWT' });
  const payload = encode(claims);
  return `${header}.${payload}.${mac(`${header}.${payload}`, secret)}`;
}

export function verifyHs256(token: string, secret: string, expect: ClaimExpectations): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed', 'not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decode(headerPart) as { alg?: unknown };
  if (header.alg !== 'HS256') throw new JwtError('malformed', `algorithm ${String(header.alg)} is not accepted`);
  const expected = Buffer.from(mac(`${headerPart}.${payloadPart}`, secret));
  const given = Buffer.from(signaturePart);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new JwtError('signature', 'signature does not verify');
  const claims = decode(payloadPart) as JwtClaims;
  checkClaims(claims, expect);
  return claims;
}

/** exp is required; nbf honoured when present; iss must match; aud (string or list) must contain ours. */
export function checkClaims(claims: JwtClaims, expect: ClaimExpectations): void {
  const now = expect.now ?? Math.floor(Date.now() / 1000);
  const tolerance = expect.clockToleranceSeconds;
  if (typeof claims.exp !== 'number') throw new JwtError('malformed', 'exp claim missing');
  if (claims.exp <= now - tolerance) throw new JwtError('expired', 'token expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now + tolerance) throw new JwtError('not-yet-valid', 'token not valid yet');
  if (claims.iss !== expect.issuer) throw new JwtError('issuer', 'unexpected issuer');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expect.audience)) throw new JwtError('audience', 'unexpected audience');
}

function mac(input: string, secret: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode(part: string): unknown {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new JwtError('malformed', 'token is not valid base64url JSON');
}
