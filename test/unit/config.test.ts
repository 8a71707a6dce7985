/** src/config/: fail closed on the public development secrets (issue 8). */
import { ConfigError, DEV_JWT_SECRET, DEV_URL_SIGNING_SECRET, DEV_WEBHOOK_SECRET_KEY, isLoopbackHost, loadConfig, loadGatewayConfig } from '../../src/config';

const OWN_JWT = 'a-jwt-secret-of-our-own-that-is-long-enough-0001';
const OWN_SIGNING = 'a-url-signing-secret-of-our-own-long-enough-0002';
const OWN_WEBHOOK = 'a-webhook-secret-key-of-our-own-long-enough-0003';

describe('the public development secrets', () => {
  test.each(['127.0.0.1', 'localhost', '::1', '127.0.0.2'])('are accepted on loopback (%s) outside production', (host) => {
    const config = loadGatewayConfig({ GATEWAY_HOST: host });
    expect(config.gateway.auth.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(config.gateway.urlSigningSecret).toBe(DEV_URL_SIGNING_SECRET);
  });

  test.each(['0.0.0.0', '::', '10.0.0.5', 'gateway.internal', '192.168.1.20'])(
    'are refused when the gateway listens on %s, whatever NODE_ENV says',
    (host) => {
      for (const NODE_ENV of [undefined, 'development', 'test']) {
        const env = { GATEWAY_HOST: host, ...(NODE_ENV ? { NODE_ENV } : {}) };
        expect(() => loadGatewayConfig(env)).toThrow(ConfigError);
        expect(() => loadGatewayConfig(env)).toThrow(
          /JWT_SECRET \(or JWT_JWKS_URL\), URL_SIGNING_SECRET, WEBHOOK_SECRET_KEY .*GATEWAY_HOST=.* is not a loopback/,
        );
        // Setting the public values explicitly is no way around it.
        const publicOnes = { JWT_SECRET: DEV_JWT_SECRET, URL_SIGNING_SECRET: DEV_URL_SIGNING_SECRET, WEBHOOK_SECRET_KEY: DEV_WEBHOOK_SECRET_KEY };
        expect(() => loadGatewayConfig({ ...env, ...publicOnes })).toThrow(ConfigError);
        // Each public one on its own is refused, named alone.
        const own = { JWT_SECRET: OWN_JWT, URL_SIGNING_SECRET: OWN_SIGNING, WEBHOOK_SECRET_KEY: OWN_WEBHOOK };
        expect(() => loadGatewayConfig({ ...env, ...own, JWT_SECRET: undefined })).toThrow(/: JWT_SECRET \(or JWT_JWKS_URL\) must be set/);
        expect(() => loadGatewayConfig({ ...env, ...own, URL_SIGNING_SECRET: undefined })).toThrow(/: URL_SIGNING_SECRET must be set/);
        expect(() => loadGatewayConfig({ ...env, ...own, WEBHOOK_SECRET_KEY: undefined })).toThrow(/: WEBHOOK_SECRET_KEY must be set/);
      }
    },
  );

  test('a non-loopback gateway starts with secrets of its own, or a JWKS URL instead of a JWT secret', () => {
    const own = loadGatewayConfig({ GATEWAY_HOST: '0.0.0.0', JWT_SECRET: OWN_JWT, URL_SIGNING_SECRET: OWN_SIGNING, WEBHOOK_SECRET_KEY: OWN_WEBHOOK });
    expect([own.gateway.auth.jwtSecret, own.gateway.urlSigningSecret, own.webhooks.secretKey]).toEqual([OWN_JWT, OWN_SIGNING, OWN_WEBHOOK]);
    const jwks = loadGatewayConfig({
      GATEWAY_HOST: '0.0.0.0',
      JWT_JWKS_URL: 'https://id.example.com/jwks.json',
      URL_SIGNING_SECRET: OWN_SIGNING,
      WEBHOOK_SECRET_KEY: OWN_WEBHOOK,
    });
    expect(jwks.gateway.auth).toMatchObject({ jwksUrl: 'https://id.example.com/jwks.json', jwtSecret: undefined });
  });

  test('are refused in production even on loopback', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(/NODE_ENV=production/);
    const own = { JWT_SECRET: OWN_JWT, URL_SIGNING_SECRET: OWN_SIGNING, WEBHOOK_SECRET_KEY: OWN_WEBHOOK };
    expect(loadGatewayConfig({ NODE_ENV: 'production', ...own }).gateway.host).toBe('127.0.0.1');
  });

  test('the worker and the CLI need no gateway secrets, in production or not', () => {
    for (const env of [{ NODE_ENV: 'production' }, { GATEWAY_HOST: '0.0.0.0' }]) {
      expect(() => loadConfig(env)).not.toThrow();
    }
  });

  test('loopback means 127.0.0.0/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.255.0.9', '::1', '[::1]', 'LOCALHOST', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '128.0.0.1', '127.0.0.1.example.com', 'localhost.example.com', ''].some(isLoopbackHost)).toBe(false);
  });
});
