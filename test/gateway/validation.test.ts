/** Table-driven: bad requests answer with their status and a problem+json body naming each bad field. */
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

const good = {
  originalImageUrl: 'https://example.com/fox.png',
  refinementPrompt: 'Make it warmer',
  logoDescription: 'A fox',
  themeDescription: 'Autumn',
};

interface Case {
  name: string;
  method?: 'GET' | 'POST';
  path?: string;
  body?: unknown;
  raw?: { body: string; contentType: string };
  headers?: Record<string, string>;
  status: number;
  /** Fields the problem's `errors` must name (in any order). */
  fields?: string[];
  type?: string;
}

const VALIDATION = 'urn:refinery:problem:validation';

const cases: Case[] = [
  { name: 'ftp URL', body: { ...good, originalImageUrl: 'ftp://example.com/a.png' }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'javascript: URL', body: { ...good, originalImageUrl: 'javascript:alert(1)' }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'relative URL', body: { ...good, originalImageUrl: '/fox.png' }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'URL too long', body: { ...good, originalImageUrl: `https://example.com/${'a'.repeat(2100)}` }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'URL with credentials', body: { ...good, originalImageUrl: 'https://user:pw@example.com/a.png' }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'URL with a space', body: { ...good, originalImageUrl: 'https://example.com/a b.png' }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'URL missing (JSON)', body: { ...good, originalImageUrl: undefined }, status: 400, fields: ['body.originalImageUrl'] },
  { name: 'prompt too long', body: { ...good, refinementPrompt: 'x'.repeat(2001) }, status: 400, fields: ['body.refinementPrompt'] },
  { name: 'prompt blank', body: { ...good, refinementPrompt: '   ' }, status: 400, fields: ['body.refinementPrompt'] },
  { name: 'prompt with NUL', body: { ...good, refinementPrompt: 'warm\u0000er' }, status: 400, fields: ['body.refinementPrompt'] },
  { name: 'logo with control char', body: { ...good, logoDescription: 'fox\u0007' }, status: 400, fields: ['body.logoDescription'] },
  { name: 'theme missing', body: { ...good, themeDescription: undefined }, status: 400, fields: ['body.themeDescription'] },
  { name: 'prompt not a string', body: { ...good, refinementPrompt: 42 }, status: 400, fields: ['body.refinementPrompt'] },
  { name: 'unknown field', body: { ...good, userId: 'someone-else' }, status: 400, fields: ['body.userId'] },
  { name: 'two unknown fields', body: { ...good, taskId: 't', isAnonymous: true }, status: 400, fields: ['body.taskId', 'body.isAnonymous'] },
  { name: 'several bad fields at once', body: { ...good, refinementPrompt: '', logoDescription: 'x'.repeat(2001) }, status: 400, fields: ['body.refinementPrompt', 'body.logoDescription'] },
  { name: 'too many preserved aspects', body: { ...good, preserveAspects: Array(21).fill('shape') }, status: 400, fields: ['body.preserveAspects'] },
  { name: 'preserved aspect too long', body: { ...good, preserveAspects: ['x'.repeat(101)] }, status: 400, fields: ['body.preserveAspects.0'] },
  { name: 'preserveAspects not a list', body: { ...good, preserveAspects: 'shape' }, status: 400, fields: ['body.preserveAspects'] },
  { name: 'body not an object', body: ['a'], status: 400 },
  { name: 'malformed JSON', raw: { body: '{"refinementPrompt": ', contentType: 'application/json' }, status: 400, type: VALIDATION },
  { name: 'body over the size limit', raw: { body: JSON.stringify({ ...good, refinementPrompt: 'x'.repeat(70_000) }), contentType: 'application/json' }, status: 413 },
  { name: 'unsupported media type', raw: { body: '<refinement/>', contentType: 'application/xml' }, status: 415 },
  { name: 'bad Idempotency-Key', body: good, headers: { 'idempotency-key': 'has spaces in it' }, status: 400, fields: ['headers.idempotency-key'] },
  { name: 'list: bad status', method: 'GET', path: '/v1/refinements?status=done', status: 400, fields: ['query.status'] },
  { name: 'list: limit too big', method: 'GET', path: '/v1/refinements?limit=1000', status: 400, fields: ['query.limit'] },
  { name: 'list: limit not a number', method: 'GET', path: '/v1/refinements?limit=ten', status: 400, fields: ['query.limit'] },
  { name: 'list: unknown parameter', method: 'GET', path: '/v1/refinements?owner=bob', status: 400, fields: ['query.owner'] },
  { name: 'list: forged cursor', method: 'GET', path: '/v1/refinements?cursor=bm90LWEtY3Vyc29y', status: 400, fields: ['query.cursor'] },
  { name: 'task id with bad characters', method: 'GET', path: '/v1/refinements/..%2Fetc', status: 400, fields: ['params.taskId'] },
  { name: 'cancel: unknown field', path: '/v1/refinements/some-task/cancel', body: { reason: 'x', force: true }, status: 400, fields: ['body.force'] },
  { name: 'cancel: reason with NUL', path: '/v1/refinements/some-task/cancel', body: { reason: 'a\u0000' }, status: 400, fields: ['body.reason'] },
];

describe('gateway validation', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  let token: string;

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    gateway = await TestGateway.start(stack);
    token = await gateway.token('validator');
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test('has at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));

  test.each(cases)('$name → $status', async ({ method = 'POST', path = '/v1/refinements', body, raw, headers, status, fields, type }) => {
    const response = await gateway.fetch(path, {
      method,
      token,
      headers: { ...(raw ? { 'content-type': raw.contentType } : {}), ...headers },
      ...(raw ? { body: raw.body } : body !== undefined ? { json: body } : {}),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as any;
    expect(problem).toMatchObject({ status, title: expect.any(String), instance: path.split('?')[0] });
    if (type) expect(problem.type).toBe(type);
    if (fields) {
      expect(problem.type).toBe(VALIDATION);
      expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
      for (const error of problem.errors) expect(error).toEqual({ field: expect.any(String), pointer: expect.stringMatching(/^\//), in: expect.any(String), detail: expect.any(String) });
    }
  });

  test('nothing was started or recorded by any of them', async () => {
    const list = (await (await gateway.fetch('/v1/refinements', { token })).json()) as any;
    expect(list.items).toEqual([]);
  });
});
