/**
 * The gateway's cache of verified JWTs: one signature check per token while it is valid, never
 * past its `exp` or the cache's maximum age, bounded in size, and holding no token in clear.
 */
import { inspect } from 'node:util';
import { Authenticator } from '../../src/gateway/auth/authenticator';
import { mintDevToken } from '../../src/gateway/auth/dev-token';
import { VerifiedTokens } from '../../src/gateway/auth/verified-tokens';
import type { ApiKeys } from '../../src/gateway/stores/api-keys';

const auth = { jwtSecret: 'verified-tokens-test-secret-0123456789abcdef', issuer: 'https://issuer.test', audience: 'authenticated' };
/** Only JWTs are verified here; an API key would be a bug in the test. */
const noApiKeys = { authenticate: () => Promise.reject(new Error('no API keys in this test')) } as unknown as ApiKeys;

describe('VerifiedTokens', () => {
  let clock = 1_000_000_000_000;
  const now = () => clock;
  const claims = (expInSeconds: number) => ({ sub: 'ursula', exp: Math.floor(clock / 1000) + expInSeconds });

  test("an entry ends at the token's exp", () => {
    const cache = new VerifiedTokens({ now, maxAgeMs: 600_000 });
    cache.remember('token-a', claims(30));
    clock += 29_000;
    expect(cache.get('token-a')).toMatchObject({ sub: 'ursula' });
    clock += 1_000;
    expect(cache.get('token-a')).toBeUndefined();
  });

  test('an entry ends after the maximum age even when the token lives longer', () => {
    const cache = new VerifiedTokens({ now, maxAgeMs: 60_000 });
    cache.remember('token-b', claims(3600));
    clock += 59_999;
    expect(cache.get('token-b')).toBeDefined();
    clock += 1;
    expect(cache.get('token-b')).toBeUndefined();
  });

  test('a token accepted within the clock tolerance after its exp is not kept', () => {
    const cache = new VerifiedTokens({ now });
    cache.remember('token-c', claims(-2));
    expect(cache.size).toBe(0);
  });

  test('beyond its size the least recently used entry goes first', () => {
    const cache = new VerifiedTokens({ now, maxEntries: 2 });
    cache.remember('token-1', claims(60));
    cache.remember('token-2', claims(60));
    cache.get('token-1');
    cache.remember('token-3', claims(60));
    expect(cache.size).toBe(2);
    expect(cache.get('token-2')).toBeUndefined();
    expect(cache.get('token-1')).toBeDefined();
    expect(cache.get('token-3')).toBeDefined();
  });

  test('holds no token in clear', () => {
    const cache = new VerifiedTokens({ now });
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1cnN1bGEifQ.c2lnbmF0dXJl';
    cache.remember(token, claims(60));
    const dump = inspect(cache, { depth: 10, showHidden: true });
    for (const part of token.split('.')) expect(dump).not.toContain(part);
  });
});

describe('Authenticator with verified tokens', () => {
  test('verifies a token once, then answers from the cache until the cache entry ends', async () => {
    let clock = Date.now();
    const verified = new VerifiedTokens({ now: () => clock, maxAgeMs: 60_000 });
    const authenticator = new Authenticator(auth, noApiKeys, verified);
    const token = await mintDevToken(auth, { userId: 'ursula' });

    const first = await authenticator.verifyJwt(token);
    const second = await authenticator.verifyJwt(token);
    // jose returns a new payload each time it verifies: the same object means no second verification.
    expect(second).toMatchObject({ sub: 'ursula' });
    expect(await authenticator.verifyJwt(token)).toBe(second);
    expect(second).not.toBe(first);

    clock += 60_000;
    const afterMaxAge = await authenticator.verifyJwt(token);
    expect(afterMaxAge).not.toBe(second);
    expect(afterMaxAge).toMatchObject({ sub: 'ursula' });
  });

  test('a refused token is not remembered and is refused each time', async () => {
    const verified = new VerifiedTokens();
    const authenticator = new Authenticator(auth, noApiKeys, verified);
    const forged = await mintDevToken(auth, { userId: 'mallory', secret: 'another-secret-0123456789abcdef0123456789' });
    const expired = await mintDevToken(auth, { userId: 'ursula', ttlSeconds: -60 });
    for (let i = 0; i < 2; i++) {
      await expect(authenticator.verifyJwt(forged)).rejects.toMatchObject({ statusCode: 401 });
      await expect(authenticator.verifyJwt(expired)).rejects.toMatchObject({ statusCode: 401, message: 'token expired' });
    }
    expect(verified.size).toBe(0);
  });
});
