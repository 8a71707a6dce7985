/**
 * How the gateway serves the web page, no browser needed: a stand-in built page with its
 * Content-Security-Policy, the 503 that says how to build a missing one, and the limits and
 * development login the page reads from the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestGateway } from '../../harness/gateway';
import { TestStack } from '../../harness/stack';

describe('web page serving', () => {
  let stack: TestStack;
  let webDir: string;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-web-'));
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>built</title>');
  });
  afterAll(async () => {
    await stack?.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });

  test('the page, with a Content-Security-Policy of exactly what it needs; /docs keeps its own', async () => {
    const gateway = await TestGateway.start(stack, { WEB_DIST_DIR: webDir });
    try {
      const page = await gateway.fetch('/');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>built</title>');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const csp = page.headers.get('content-security-policy')!.split(';').map((d) => d.trim());
      expect(csp).toEqual(
        expect.arrayContaining([
          "default-src 'none'",
          "script-src 'self'",
          "style-src 'self'",
          `img-src 'self' blob: ${gateway.origin}`,
          "connect-src 'self'",
          "frame-ancestors 'none'",
          "object-src 'none'",
        ]),
      );
      expect(csp.join(';')).not.toMatch(/unsafe-inline|unsafe-eval|https:|\*/);
      const docs = await gateway.fetch('/docs/');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");
      // Unknown paths are still the API's problem+json 404, not the page.
      const unknown = await gateway.fetch('/no-such-page');
      expect([unknown.status, unknown.headers.get('content-type')]).toEqual([404, 'application/problem+json; charset=utf-8']);
    } finally {
      await gateway.close();
    }
  });

  test('without a built page the gateway still starts, and / says how to build it (503)', async () => {
    const gateway = await TestGateway.start(stack, { WEB_DIST_DIR: path.join(webDir, 'missing') });
    try {
      const page = await gateway.fetch('/');
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('npm run build:web');
      expect((await gateway.fetch('/healthz')).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  test('limits come from the configuration; the development login exists only with the local-development secret', async () => {
    const dev = await TestGateway.start(stack, { WEB_DIST_DIR: webDir, GATEWAY_UPLOAD_MAX_BYTES: '1234567' });
    const real = await TestGateway.start(stack, { WEB_DIST_DIR: webDir, JWT_SECRET: 'a-real-secret-that-is-long-enough-0123456789' });
    try {
      const limits = (await (await dev.fetch('/v1/limits')).json()) as any;
      expect(limits).toMatchObject({ uploadMaxBytes: 1234567, imageTypes: ['image/png', 'image/jpeg', 'image/webp'], promptLength: 2000 });

      expect(await (await dev.fetch('/v1/dev-login')).json()).toEqual({ available: true });
      const minted = await dev.fetch('/v1/dev-login', { method: 'POST', json: { userId: 'erin' } });
      expect(minted.status).toBe(200);
      const { token } = (await minted.json()) as any;
      expect((await dev.fetch('/v1/refinements', { token })).status).toBe(200);
      const bad = await dev.fetch('/v1/dev-login', { method: 'POST', json: { userId: '../erin' } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).errors[0]).toMatchObject({ field: 'body.userId' });

      expect(await (await real.fetch('/v1/dev-login')).json()).toEqual({ available: false });
      expect((await real.fetch('/v1/dev-login', { method: 'POST', json: { userId: 'erin' } })).status).toBe(404);
    } finally {
      await Promise.all([dev.close(), real.close()]);
    }
  });
});
