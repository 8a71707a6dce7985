/** Mints HS256 JWTs shaped like the identity provider's (Supabase's), for the local stack and the tests. */
import { SignJWT } from 'jose';
import type { GatewayConfig } from '../../config';

export interface DevTokenOptions {
  userId: string;
  isAnonymous?: boolean;
  /** Lifetime in seconds; negative gives an already expired token. */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
  /** Signs with another secret (a forged token, for tests). */
  secret?: string;
  /** More claims, e.g. the operator claim that opens /codec (CODEC_OPERATOR_CLAIM). */
  claims?: Record<string, unknown>;
}

export async function mintDevToken(auth: GatewayConfig['auth'], options: DevTokenOptions): Promise<string> {
  const secret = options.secret ?? auth.jwtSecret;
  if (!secret) throw new Error('minting tokens needs JWT_SECRET (the gateway is configured for a JWKS URL)');
  const now = Math.floor(Date.now() / 1000);
  const ttl = options.ttlSeconds ?? 3600;
  return new SignJWT({ is_anonymous: options.isAnonymous ?? false, role: 'authenticated', ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuer(options.issuer ?? auth.issuer)
    .setAudience(options.audience ?? auth.audience)
    .setIssuedAt(Math.min(now, now + ttl) - 60)
    .setExpirationTime(now + ttl)
    .sign(new TextEncoder().encode(secret));
}
