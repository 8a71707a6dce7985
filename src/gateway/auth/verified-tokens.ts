/**
 * The claims of JWTs that passed verification, so that a client sending the same token on every
 * request (the web page, the CLI, a stream's reconnects) costs one signature check, not one per request.
 *
 * - Keyed by the token's SHA-256, never the token: a heap dump or a debugger shows no credential.
 * - An entry lives until the token's `exp`, and at most `maxAgeMs`, so that the cache adds at most
 *   that to how long a key withdrawn from the provider's JWKS is still honoured (jose itself keeps a
 *   fetched key set for up to 10 minutes). A changed JWT_SECRET needs a restart, which empties it.
 * - At most `maxEntries`, least recently used evicted first (lru-cache), so a flood of distinct
 *   valid tokens cannot grow the heap.
 * Only successes are kept: a refused token is checked again each time it is sent.
 */
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';

export interface VerifiedTokensOptions {
  maxEntries?: number;
  maxAgeMs?: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

interface Entry {
  claims: Readonly<JWTPayload>;
  expiresAt: number;
}

export class VerifiedTokens {
  /** Bounded by lru-cache; expiry is checked here, so that an entry ends exactly at its `expiresAt`. */
  private readonly entries: LRUCache<string, Entry>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor({ maxEntries = 10_000, maxAgeMs = 60_000, now = Date.now }: VerifiedTokensOptions = {}) {
    this.maxAgeMs = maxAgeMs;
    this.now = now;
    this.entries = new LRUCache({ max: maxEntries });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The claims of `token` when it was verified and neither it nor its entry has expired since. */
  get(token: string): Readonly<JWTPayload> | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry?.claims;
  }

  /** Records the claims of a token that just passed verification (its `exp` was required). */
  remember(token: string, claims: JWTPayload): void {
    const now = this.now();
    const expiresAt = Math.min(now + this.maxAgeMs, typeof claims.exp === 'number' ? claims.exp * 1000 : now);
    // Accepted within the clock tolerance after `exp`: checked again on every request.
    if (expiresAt <= now) return;
    this.entries.set(keyOf(token), { claims: Object.freeze({ ...claims }), expiresAt });
  }
}

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
