/** Mints HS256 JWTs shaped like the identity provider's, for the local stack and the tests. */
import type { GatewayConfig } from '../../config';
import { signHs256 } from './hs256';

export interface DevTokenOptions {
  userId: string;
  isAnonymous?: boolean;
  /** Lifetime in seconds; negative gives an already expired token. */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}

export function mintDevToken(auth: GatewayConfig['auth'], options: DevTokenOptions): string {
  if (!auth.jwtSecret) throw new Error('minting tokens needs JWT_SECRET (the gateway is configured for a JWKS URL)');
  const now = Math.floor(Date.now() / 1000);
  const ttl = options.ttlSeconds ?? 3600;
  return signHs256(
    {
      sub: options.userId,
      iss: options.issuer ?? auth.issuer,
      aud: options.audience ?? auth.audience,
      iat: Math.min(now, now + ttl) - 60,
      exp: now + ttl,
      is_anonymous: options.isAnonymous ?? false,
      role: 'authenticated',
    },
    auth.jwtSecret,
  );
}
