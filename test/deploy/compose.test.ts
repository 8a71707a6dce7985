/**
 * docker-compose.yml, checked without a container engine: Debian's docker-compose parses
 * and validates it (`config`; CI installs the package, see .ci/run), and the stack must agree with
 * the native topology the other tests run: the variables src/config/ reads, the Temporal version
 * scripts/ensure-temporal-server.sh builds, the same schema step, eager activity dispatch on, and
 * nothing published but the gateway (and the Web UI on loopback).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
/** The secrets the file requires from the environment (.env.example lists them). */
const REQUIRED = { POSTGRES_PASSWORD: 'pg-secret', S3_ACCESS_KEY_ID: 's3-id', S3_SECRET_ACCESS_KEY: 's3-secret', JWT_SECRET: 'jwt-secret', URL_SIGNING_SECRET: 'url-secret', WEBHOOK_SECRET_KEY: 'webhook-key' };
/** Read by the AWS SDK's default credential chain, not by src/config/. */
const READ_BY_LIBRARIES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: (string | { published: number | string; target: number; host_ip?: string })[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  deploy?: { replicas?: number };
  volumes?: unknown[];
}

async function composeConfig(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('docker-compose', ['-f', COMPOSE_FILE, 'config'], {
      cwd: ROOT,
      // Only PATH and what the test gives: nothing from the developer's own environment or .env leaks in.
      env: { PATH: process.env.PATH!, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout: string; stderr: string };
    if (e.code === 'ENOENT') throw new Error("docker-compose is not installed: `apt-get install -y docker-compose` (.ci/run does it)");
    return { code: Number(e.code), stdout: e.stdout, stderr: e.stderr };
  }
}

let services: Record<string, Service>;

beforeAll(async () => {
  // An .env beside the file would be read by docker-compose: the test must see the file alone.
  expect(fs.existsSync(path.join(ROOT, '.env'))).toBe(false);
  const { code, stdout, stderr } = await composeConfig(REQUIRED);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  services = parse(stdout).services;
});

const temporalServerVersion = () => /^version=v(\S+)$/m.exec(fs.readFileSync(path.join(ROOT, 'scripts', 'ensure-temporal-server.sh'), 'utf8'))![1];

test('the stack: postgres, schema job, Temporal server, namespace job, UI, S3 store, bucket job, 2 workers, gateway', () => {
  expect(Object.keys(services).sort()).toEqual(
    ['gateway', 'postgresql', 'seaweedfs', 'seaweedfs-bucket', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker'].sort(),
  );
  expect(services.worker.deploy?.replicas).toBe(2);
  for (const name of ['postgresql', 'temporal', 'temporal-ui', 'seaweedfs', 'worker', 'gateway']) expect([name, services[name].restart]).toEqual([name, 'unless-stopped']);
  for (const name of ['temporal-schema', 'temporal-namespace', 'seaweedfs-bucket']) expect([name, services[name].restart]).toEqual([name, 'no']);
  for (const name of ['postgresql', 'temporal', 'seaweedfs']) expect(services[name].healthcheck?.test.length).toBeGreaterThan(0);
});

test('start order waits on health and on the one-shot jobs, not on mere start', () => {
  expect(services['temporal-schema'].depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
  expect(services.temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
  expect(services['seaweedfs-bucket'].depends_on).toEqual({ seaweedfs: { condition: 'service_healthy' } });
  for (const name of ['worker', 'gateway']) {
    expect(services[name].depends_on).toEqual({
      'temporal-namespace': { condition: 'service_completed_successfully' },
      'seaweedfs-bucket': { condition: 'service_completed_successfully' },
      postgresql: { condition: 'service_healthy' },
    });
  }
  // The namespace job fails loudly: no "; true" or "|| true" that would swallow an error.
  const script = services['temporal-namespace'].command!.join('\n');
  expect(script).not.toMatch(/(;|\|\|)\s*true\b/);
  expect(services['temporal-namespace'].entrypoint).toEqual(['/bin/sh', '-euc']);
  for (const attribute of ['RefinementStage', 'UserId']) expect(script).toContain(attribute);
  expect(script).toMatch(/exit 1/);
});

test('the Temporal server is the version the native tests run, set up by the same schema step, eager dispatch on', () => {
  const version = temporalServerVersion();
  expect(services.temporal.image).toBe(`temporalio/server:${version}`);
  expect(services['temporal-schema'].image).toBe(`temporalio/admin-tools:${version}`);
  expect(services['temporal-namespace'].image).toBe(`temporalio/admin-tools:${version}`);
  // The native stack's schema step: the postgres12 plugin, setup-schema -v 0.0 then update-schema from the
  // versioned folders, for the main and the visibility database.
  const schema = services['temporal-schema'];
  expect(schema.environment).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'postgresql', SQL_PORT: '5432' });
  const script = schema.command!.join('\n');
  expect(script).toContain('setup-schema -v 0.0');
  expect(script).toMatch(/update-schema -d "\$\$schema\/\$\$\{db%%:\*\}\/versioned"/);
  expect(script).toContain('temporal:temporal visibility:temporal_visibility');

  const configDir = path.join(ROOT, 'deploy', 'compose', 'temporal', 'config');
  const dynamicDir = path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig');
  // The same settings as the natively tested server's (and the dev server's, which takes them as flags).
  expect(services.temporal.volumes).toEqual([`${configDir}:/etc/temporal/config:ro`, `${dynamicDir}:/etc/temporal/dynamicconfig:ro`]);
  const serverConfig = fs.readFileSync(path.join(configDir, 'compose.yaml'), 'utf8');
  expect(serverConfig.startsWith('# enable-template\n')).toBe(true);
  expect(serverConfig).toMatch(/filepath: \/etc\/temporal\/dynamicconfig\/production\.yaml/);
  expect(serverConfig).not.toMatch(/password: (?!\{\{)/); // the password only from the environment
  const dynamic = parse(fs.readFileSync(path.join(dynamicDir, 'production.yaml'), 'utf8'));
  expect(dynamic['system.enableActivityEagerExecution']).toEqual([{ value: true }]);
  expect(services.temporal.command!.join(' ')).toContain('--env compose');
});

test('every variable the worker and the gateway get is one Refinery reads; each gets only its own secrets', () => {
  const known = new Set([...CONFIG_VARIABLES, ...READ_BY_LIBRARIES]);
  for (const name of ['worker', 'gateway']) {
    const unknown = Object.keys(services[name].environment ?? {}).filter((v) => !known.has(v));
    expect([name, unknown]).toEqual([name, []]);
  }
  const worker = Object.keys(services.worker.environment!);
  const gateway = Object.keys(services.gateway.environment!);
  expect(worker).toEqual(expect.arrayContaining(['OPENAI_API_KEY', 'JIGSAWSTACK_API_KEY', 'WORKER_HEALTH_PORT']));
  expect(worker).not.toEqual(expect.arrayContaining(['JWT_SECRET']));
  expect(worker).not.toEqual(expect.arrayContaining(['URL_SIGNING_SECRET']));
  expect(gateway).toEqual(expect.arrayContaining(['JWT_SECRET', 'URL_SIGNING_SECRET', 'GATEWAY_HOST']));
  expect(gateway).not.toEqual(expect.arrayContaining(['OPENAI_API_KEY']));
  expect(gateway).not.toEqual(expect.arrayContaining(['JIGSAWSTACK_API_KEY']));
  // Webhook endpoints' secrets are stored encrypted under one key: the gateway stores them, the worker signs with them.
  expect(worker).toEqual(expect.arrayContaining(['WEBHOOK_SECRET_KEY']));
  expect(gateway).toEqual(expect.arrayContaining(['WEBHOOK_SECRET_KEY']));
  // The values the test passed in arrive where they belong.
  expect(services.gateway.environment).toMatchObject({ JWT_SECRET: 'jwt-secret', URL_SIGNING_SECRET: 'url-secret', GATEWAY_HOST: '0.0.0.0' });
  expect(services.worker.environment!.DATABASE_URL).toBe('postgres://refinery:pg-secret@postgresql:5432/refinery');
});

test('only the gateway is published; the Web UI only on 127.0.0.1', () => {
  const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name).sort();
  expect(published).toEqual(['gateway', 'temporal-ui']);
  expect(services.gateway.ports).toEqual([{ published: 8080, target: 8080 }]);
  const ui = services['temporal-ui'].ports!;
  expect(ui.length).toBe(1);
  const port = ui[0];
  expect(typeof port === 'string' ? port.split(':')[0] : port.host_ip).toBe('127.0.0.1');
});

test('no secret is written in the file: without them in the environment the stack refuses to start', async () => {
  const raw = fs.readFileSync(COMPOSE_FILE, 'utf8');
  for (const [name, value] of Object.entries(parse(raw).services as Record<string, Service>).flatMap(([, s]) => Object.entries(s.environment ?? {}))) {
    if (/PASSWORD|SECRET|_KEY$|ACCESS_KEY/.test(name)) expect([name, String(value)]).toEqual([name, expect.stringMatching(/^\$\{[A-Z0-9_]+(:[-?][^}]*)?\}$/)]);
  }
  for (const missing of Object.keys(REQUIRED)) {
    const env: Record<string, string> = { ...REQUIRED };
    delete env[missing];
    const { code, stderr } = await composeConfig(env);
    expect([missing, code, stderr]).toEqual([missing, 1, expect.stringContaining(`set ${missing}`)]);
  }
  const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  for (const name of Object.keys(REQUIRED)) expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
  expect(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
});
