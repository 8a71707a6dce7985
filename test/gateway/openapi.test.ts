/** The OpenAPI document is well formed and lists every route the gateway serves. */
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

const ROUTES = [
  ['post', '/v1/refinements'],
  ['get', '/v1/refinements'],
  ['get', '/v1/refinements/{taskId}'],
  ['get', '/v1/refinements/{taskId}/events'],
  ['post', '/v1/refinements/{taskId}/cancel'],
  ['get', '/v1/concepts/{conceptId}'],
  ['get', '/v1/concepts'],
  ['post', '/v1/concepts/{conceptId}/refinements'],
  ['get', '/v1/concepts/{conceptId}/lineage'],
  ['delete', '/v1/concepts/{conceptId}'],
  ['post', '/v1/webhooks'],
  ['get', '/v1/webhooks'],
  ['get', '/v1/webhooks/{webhookId}'],
  ['delete', '/v1/webhooks/{webhookId}'],
  ['get', '/v1/webhooks/{webhookId}/deliveries'],
  ['post', '/v1/webhooks/{webhookId}/deliveries/{deliveryId}/replay'],
  ['post', '/v1/me/erasure'],
  ['get', '/v1/me/erasure'],
  ['get', '/images/{*}'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/v1/limits'],
  ['get', '/v1/dev-login'],
  ['post', '/v1/dev-login'],
] as const;

describe('gateway OpenAPI document', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  let doc: any;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    gateway = await TestGateway.start(stack);
    const response = await gateway.fetch('/openapi.json');
    expect(response.status).toBe(200);
    doc = await response.json();
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test('lists every route, and nothing else', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const listed = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => [m, path]));
    const normalise = (p: string) => p.replace('/images/*', '/images/{*}');
    expect(listed.map(([m, p]) => `${m} ${normalise(p!)}`).sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  });

  test('is structurally valid: operations have responses, path parameters are declared, $refs resolve, security schemes exist', () => {
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        expect([method, path, Object.keys(op.responses ?? {}).length > 0]).toEqual([method, path, true]);
        for (const status of Object.keys(op.responses)) expect(status).toMatch(/^([1-5]\d\d|default)$/);
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
        for (const name of templated) if (name !== '*') expect([path, declared]).toEqual([path, expect.arrayContaining([name])]);
        for (const requirement of op.security ?? []) for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) {
      const target = ref.split('/').reduce((node: any, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });

  test('documents the request body, the authenticated routes and the problem answers', () => {
    const start = doc.paths['/v1/refinements'].post;
    const schema = start.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['refinementPrompt', 'logoDescription', 'themeDescription']));
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(start.requestBody.content)).toContain('multipart/form-data');
    expect(start.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '429']));
    expect(doc.paths['/healthz'].get.security).toBeUndefined();
  });
});

describe('interactive docs', () => {
  test('/docs serves the Swagger UI page for the same document', async () => {
    const stack = await TestStack.create({ database: 'sqlite' });
    const gateway = await TestGateway.start(stack);
    try {
      const page = await gateway.fetch('/docs/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/swagger/i);
    } finally {
      await gateway.close();
      await stack.close();
    }
  });
});
