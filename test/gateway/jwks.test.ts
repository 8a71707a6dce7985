/**
 * Tokens from an identity provider that publishes its keys (as Supabase does): the gateway fetches the
 * JWKS from a real HTTP server on loopback and accepts only tokens its keys signed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

const ISSUER = 'https://project.supabase.test/auth/v1';
const AUDIENCE = 'authenticated';

let stack: TestStack;
let gateway: TestGateway;
let jwks: http.Server;
let providerKey: CryptoKey;
let jwksHits = 0;

async function tokenSignedWith(key: CryptoKey, claims: { sub: string; is_anonymous?: boolean }, kid = 'provider-key-1') {
  return new SignJWT({ is_anonymous: claims.is_anonymous ?? false })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(key);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  providerKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'provider-key-1', alg: 'ES256', use: 'sig' };
  jwks = http.createServer((_req, res) => {
    jwksHits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  stack = await TestStack.create({ database: 'sqlite' });
  gateway = await TestGateway.start(stack, {
    JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

test("a token signed with the provider's published key is accepted", async () => {
  const token = await tokenSignedWith(providerKey, { sub: `jwks-user-${process.pid}` });
  const response = await gateway.fetch('/v1/refinements', { token });
  expect(response.status).toBe(200);
  expect(jwksHits).toBeGreaterThanOrEqual(1);
});

test('a token signed with any other key, or with the shared-secret algorithm, is refused', async () => {
  const stranger = (await generateKeyPair('ES256')).privateKey;
  expect((await gateway.fetch('/v1/refinements', { token: await tokenSignedWith(stranger, { sub: 'mallory' }) })).status).toBe(401);
  const hs256 = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode('x'.repeat(40)));
  expect((await gateway.fetch('/v1/refinements', { token: hs256 })).status).toBe(401);
});
