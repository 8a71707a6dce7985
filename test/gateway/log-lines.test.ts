/**
 * The gateway's JSON log lines name each field once (JSON.parse keeps the last of two equal keys, so
 * the raw text is read: fastify's per-request child binds `requestId` and the log context adds it
 * too), one line per request, with the request's path and never its query string.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logging';
import { TestGateway } from '../harness/gateway';
import { TestStack } from '../harness/stack';

/** The top-level keys of one JSON object, in order and with repeats. */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      if (depth === 1 && /^\s*:/.test(line.slice(end + 1))) keys.push(JSON.parse(line.slice(i, end + 1)) as string);
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

test('topLevelKeys sees a repeated key that JSON.parse would hide', () => {
  expect(topLevelKeys('{"a":1,"b":{"a":2,"s":"x\\"}{"},"a":3}')).toEqual(['a', 'b', 'a']);
});

describe('gateway log lines', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });

  beforeAll(async () => {
    stack = await TestStack.create({ database: 'postgres' });
    gateway = await TestGateway.start(stack, {}, createLogger('info', { component: 'gateway' }, 'json', destination));
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test('carry each key once, the request id included', async () => {
    const token = await gateway.token('logan');
    const requests: [string, Parameters<TestGateway["fetch"]>[1]][] = [
      ['/v1/refinements', { method: 'POST', token, headers: { 'x-request-id': 'log-start-1' }, json: { originalImageUrl: 'https://example.com/fox.png', refinementPrompt: 'Autumn', logoDescription: 'A fox', themeDescription: 'Tech' } }],
      ['/v1/refinements', { method: 'POST', token, headers: { 'x-request-id': 'log-invalid-1' }, json: { refinementPrompt: '' } }],
      ['/v1/refinements/no-such-task', { token, headers: { 'x-request-id': 'log-missing-1' } }],
      ['/healthz', { headers: { 'x-request-id': 'log-health-1' } }],
    ];
    for (const [url, init] of requests) await (await gateway.fetch(url, init)).arrayBuffer();

    const ofRequests = lines.filter((l) => /"log-(start|invalid|missing|health)-1"/.test(l));
    for (const line of lines) {
      const keys = topLevelKeys(line);
      expect({ line, repeated: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ line, repeated: [] });
    }
    const parsed = ofRequests.map((l) => JSON.parse(l) as Record<string, unknown>);
    // Lines logged inside the handler (the audit line) carry it once too, from the log context.
    expect(parsed.find((l) => l.audit === true && l.requestId === 'log-start-1')).toBeDefined();
  });

  test('one line per request, when it is answered, naming the request and its answer', async () => {
    const token = await gateway.token('lena');
    const ids = ['log-one-start', 'log-one-missing', 'log-one-health'];
    await (await gateway.fetch('/v1/refinements', { method: 'POST', token, headers: { 'x-request-id': ids[0] }, json: { refinementPrompt: '' } })).arrayBuffer();
    await (await gateway.fetch('/v1/refinements/no-such-task', { token, headers: { 'x-request-id': ids[1] } })).arrayBuffer();
    await (await gateway.fetch('/healthz', { headers: { 'x-request-id': ids[2] } })).arrayBuffer();

    const ofRequests = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => ids.includes(l.requestId));
    expect(ofRequests.filter((l) => l.msg === 'incoming request')).toEqual([]);
    const completed = ofRequests.filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => l.requestId).sort()).toEqual([...ids].sort());
    const start = completed.find((l) => l.requestId === ids[0])!;
    expect(start).toMatchObject({ level: 30, req: { method: 'POST', url: '/v1/refinements', remoteAddress: '127.0.0.1' }, res: { statusCode: 400 } });
    expect(start.responseTime).toEqual(expect.any(Number));
    expect(completed.find((l) => l.requestId === ids[1])).toMatchObject({ req: { method: 'GET', url: '/v1/refinements/no-such-task' }, res: { statusCode: 404 } });
    expect(completed.find((l) => l.requestId === ids[2])).toMatchObject({ req: { method: 'GET', url: '/healthz' }, res: { statusCode: 200 } });
  });

  test("name the request's path, never its query string (a signed link's signature stays out of the log)", async () => {
    const signature = 'c2lnbmF0dXJlLW5vdC1mb3ItbG9ncw';
    const answered = await gateway.fetch(`/images/u/someone/refined/fox.png?expires=4102444800&signature=${signature}`, { headers: { 'x-request-id': 'log-query-1' } });
    await answered.arrayBuffer();
    expect(answered.status).toBeGreaterThanOrEqual(400);
    const line = lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.requestId === 'log-query-1' && l.msg === 'request completed');
    expect(line).toMatchObject({ req: { method: 'GET', url: '/images/u/someone/refined/fox.png', remoteAddress: '127.0.0.1' } });
    expect(lines.filter((l) => l.includes(signature) || l.includes('expires='))).toEqual([]);
  });
});
