/** src/config/: fail closed on the public development secrets; each process loads what it uses; every problem at once. */
import {
  CONFIG_VARIABLES,
  ConfigError,
  DEV_JWT_SECRET,
  DEV_URL_SIGNING_SECRET,
  DEV_WEBHOOK_SECRET_KEY,
  isLoopbackHost,
  loadConfig,
  loadDatabaseConfig,
  loadDevTokenConfig,
  loadGatewayConfig,
  loadWorkerConfig,
} from '../../src/config';
import { findInputProblems } from '../../src/workflows/input-validation';
import type { RefinementInput } from '../../src/workflows/types';

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
      expect(() => loadWorkerConfig(env)).not.toThrow();
      expect(() => loadDevTokenConfig(env)).not.toThrow();
    }
  });

  test('loopback means 127.0.0.0/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.255.0.9', '::1', '[::1]', 'LOCALHOST', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '128.0.0.1', '127.0.0.1.example.com', 'localhost.example.com', ''].some(isLoopbackHost)).toBe(false);
  });
});

describe('each process loads only the concerns it uses', () => {
  const gatewayOnly = {
    GATEWAY_HOST: '0.0.0.0',
    NODE_ENV: 'production',
    JWT_SECRET: 'short',
    GATEWAY_RATE_LIMIT_MAX: 'lots',
    CODEC_AUTH_DISABLED: 'true',
    CODEC_OPERATOR_CLAIM: 'no-equals-sign',
    REFINERY_STAGE_POLICIES: 'not json',
  };

  test('the worker neither requires nor reads the gateway, codec or stage settings', () => {
    const config = loadWorkerConfig(gatewayOnly);
    expect(Object.keys(config).sort()).toEqual(
      ['conceptProvider', 'database', 'download', 'imageStore', 'logLevel', 'observability', 'payloadEncryption', 'provider', 'temporal', 'webhooks', 'worker'].sort(),
    );
    // Only GATEWAY_PORT, for the default of stored images' URLs.
    expect(loadWorkerConfig({ GATEWAY_PORT: '9000' }).imageStore.publicBaseUrl).toBe('http://localhost:9000/images');
    expect(() => loadWorkerConfig({ WORKER_HEALTH_PORT: 'x' })).toThrow('WORKER_HEALTH_PORT');
  });

  test("the gateway does not read the worker's own settings, and still fails closed", () => {
    const env = { WORKER_SHUTDOWN_GRACE_MS: '-1', WORKER_HEALTH_PORT: 'x', WORKFLOW_BUNDLE_PATH: '/nowhere' };
    expect(loadGatewayConfig(env)).not.toHaveProperty('worker');
    expect(() => loadGatewayConfig({ ...env, GATEWAY_HOST: '0.0.0.0' })).toThrow(/URL_SIGNING_SECRET.* must be set/);
    expect(() => loadGatewayConfig({ CODEC_AUTH_DISABLED: 'true', GATEWAY_HOST: '0.0.0.0' })).toThrow('needs GATEWAY_HOST on loopback');
  });

  test('the CLI: `refinery token` reads the gateway and codec settings, `refinery api-key` the database only', () => {
    const elsewhere = { DATABASE_URL: 'not a url', CONCEPT_PROVIDER: 'openai', TEMPORAL_TLS_CA_FILE: '/nowhere.pem' };
    expect(loadDevTokenConfig(elsewhere).gateway.auth.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(loadDatabaseConfig({ ...gatewayOnly, CONCEPT_PROVIDER: 'openai' }).database.kind).toBe('sqlite');
    expect(() => loadDatabaseConfig(elsewhere)).toThrow(/^invalid configuration: DATABASE_URL: /);
  });

  test('every variable belongs to exactly one concern', () => {
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
  });
});

test('every problem is reported at once, each naming its variable', () => {
  const env = {
    DOWNLOAD_MAX_BYTES: 'lots',
    WORKER_METRICS_PORT: '70000',
    IMAGE_STORE: 's3',
    CONCEPT_PROVIDER: 'openai',
    REFINERY_STAGE_POLICIES: '{"refine":{"initialInterval":"10m"}}',
    TEMPORAL_TLS_CERT_FILE: 'cert.pem',
    GATEWAY_HOST: '0.0.0.0',
  };
  let message = '';
  try {
    loadGatewayConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    message = (err as Error).message;
  }
  expect(message.startsWith('invalid configuration: ')).toBe(true);
  const problems = message.slice('invalid configuration: '.length).split('; ');
  // Values that do not parse, values wrong together, and the gateway's fail-closed rule.
  expect(problems.map((p) => /^[A-Z0-9_]+/.exec(p)?.[0]).sort()).toEqual(
    ['DOWNLOAD_MAX_BYTES', 'JWT_SECRET', 'OPENAI_API_KEY', 'REFINERY_STAGE_POLICIES', 'S3_BUCKET', 'TEMPORAL_TLS_CERT_FILE', 'WORKER_METRICS_PORT'].sort(),
  );
});

test('WEBHOOK_MAX_ENDPOINTS_PER_USER is refused at start-up, naming it, when a user at the limit could not start a refinement', () => {
  // A start puts the user's registered endpoints and the request's own callback into the workflow input.
  const inputCarries = (endpoints: number) =>
    !findInputProblems({ webhookEndpointIds: Array.from({ length: endpoints }, (_, i) => `wh_${i}`) } as RefinementInput).some((p) =>
      p.startsWith('webhookEndpointIds'),
    );
  let accepted = 0;
  for (let max = 1; max <= 40; max++) {
    let config;
    try {
      config = loadGatewayConfig({ WEBHOOK_MAX_ENDPOINTS_PER_USER: String(max) });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/WEBHOOK_MAX_ENDPOINTS_PER_USER: .*at most \d+/);
      continue;
    }
    expect(config.webhooks.maxEndpointsPerUser).toBe(max);
    expect({ max, carried: inputCarries(max + 1) }).toEqual({ max, carried: true });
    accepted = max;
  }
  expect(accepted).toBeGreaterThanOrEqual(10);
});
