/**
 * Capability URLs for stored images: `<base>/<key>?expires=<unix seconds>&signature=<HMAC>`. The
 * HMAC-SHA256 covers the store key and the expiry, under a secret only the gateway has, so a URL
 * cannot be guessed, pointed at another image, or extended. The signature covers the key rather than
 * the full URL path, so a reverse proxy that mounts /images elsewhere does not break it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedUrl {
  url: string;
  expiresAt: Date;
}

export type Verdict = 'valid' | 'expired' | 'invalid';

export class UrlSigner {
  constructor(
    private readonly secret: string,
    /** Where the gateway's /images route is reachable from outside, e.g. http://localhost:8080/images. */
    private readonly baseUrl: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  sign(key: string, ttlSeconds = this.ttlSeconds): SignedUrl {
    const expires = Math.floor(this.now() / 1000) + ttlSeconds;
    const path = key.split('/').map(encodeURIComponent).join('/');
    const url = `${this.baseUrl.replace(/\/+$/, '')}/${path}?expires=${expires}&signature=${this.signature(key, expires)}`;
    return { url, expiresAt: new Date(expires * 1000) };
  }

  verify(key: string, expires: string | undefined, signature: string | undefined): Verdict {
    if (!expires || !/^\d{1,12}$/.test(expires) || !signature) return 'invalid';
    const expected = Buffer.from(this.signature(key, Number(expires)));
    const given = Buffer.from(signature);
    // Constant-time: a timing difference would let an attacker find the signature byte by byte.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(expires) * 1000 > this.now() ? 'valid' : 'expired';
  }

  private signature(key: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${key}\n${expires}`).digest('base64url');
  }
}
