/**
 * Encrypted payloads end to end, on a dev server of this file's own (its database file is read): the
 * history holds no prompt, description or URL; the gateway's codec endpoint gives them back to an
 * operator (and to nobody else).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestGateway } from '../../harness/gateway';
import { payloadJson, type RawHistory } from '../../harness/raw-history';
import { TestStack } from '../../harness/stack';
import {
  codecPayloads,
  history,
  images,
  isLocalActivityRecord,
  isPatchMarker,
  isTraceContext,
  keyA,
  OPERATOR_TOKEN,
  original,
  secrets,
  server,
  useDevServer,
} from './encrypted-runs';

const UI_ORIGIN = 'http://localhost:8233';
const run = promisify(execFile);

useDevServer();

describe('with PAYLOAD_ENCRYPTION_KEYS set', () => {
  let stack: TestStack;
  let gateway: TestGateway;
  let taskId: string;
  let raw: RawHistory;
  let request: ReturnType<typeof secrets> & { originalImageUrl: string };

  beforeAll(async () => {
    stack = await TestStack.create({
      database: 'postgres',
      temporalAddress: server.address,
      env: { PAYLOAD_ENCRYPTION_KEYS: keyA, CODEC_AUTH_TOKEN: OPERATOR_TOKEN },
    });
    await stack.startWorker();
    gateway = await TestGateway.start(stack);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  test('a refinement completes and its stored history holds no prompt, description or URL', async () => {
    const s = secrets('history');
    request = { ...s, originalImageUrl: images.serve(s.path, { body: original }) };
    taskId = `encrypted-${Date.now()}`;
    await stack.refinements.start(stack.request({ taskId, ...request }));
    const result = await stack.refinements.result(taskId);
    expect(result.originalImageUrl).toBe(request.originalImageUrl); // the client, with the codec, reads it back
    expect((await stack.refinements.progress(taskId)).status).toBe('completed');

    raw = await history(stack, taskId);
    const bytes = raw.bytes.toString('latin1');
    for (const secret of [s.refinementPrompt, s.logoDescription, s.themeDescription, s.path, request.originalImageUrl, result.imageUrl]) {
      expect(bytes).not.toContain(secret);
    }
    // Every payload the codec sees is encrypted with key A: inputs, results, signals, memo, heartbeats.
    const payloads = codecPayloads(raw);
    expect(payloads.length).toBeGreaterThanOrEqual(10);
    expect(payloads.filter((p) => p.encoding !== 'binary/encrypted' || p.keyId !== 'A').map((p) => p.path)).toEqual([]);
    for (const marker of raw.payloads.filter(isPatchMarker)) {
      const data = JSON.parse(Buffer.from(marker.payload.data ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(data).sort()).toEqual(['deprecated', 'id']);
      expect(data.id).toMatch(/^[a-z0-9-]+$/);
    }
    const localActivityRecords = raw.payloads.filter(isLocalActivityRecord);
    expect(localActivityRecords.length).toBeGreaterThanOrEqual(2); // image storage, cleanup
    for (const record of localActivityRecords) {
      const data = JSON.parse(Buffer.from(record.payload.data ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(data).sort()).toEqual(['activity_id', 'activity_type', 'attempt', 'backoff', 'complete_time', 'original_schedule_time', 'seq']);
    }
    for (const header of raw.payloads.filter(isTraceContext)) {
      const carrier = JSON.parse(Buffer.from(header.payload.data ?? new Uint8Array()).toString('utf8')) as Record<string, string>;
      expect(Object.keys(carrier).filter((k) => k !== 'traceparent' && k !== 'tracestate')).toEqual([]);
      // Empty when no span was active (tracing is off here); otherwise ids only.
      if (carrier.traceparent !== undefined) expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    }
    // What stays in clear: the search attributes (a user id and a stage name, by design).
    const attributes = raw.payloads.filter((p) => /searchAttributes/i.test(p.path));
    expect(attributes.length).toBeGreaterThan(0);
  });

  test("the server's database file holds none of them either", async () => {
    expect(raw).toBeDefined();
    const files = [server.dbFile, `${server.dbFile}-wal`].filter((f) => fs.existsSync(f));
    const stored = Buffer.concat(files.map((f) => fs.readFileSync(f))).toString('latin1');
    // The file does hold this run's history in readable protobuf: its workflow id and activity names are there.
    expect(stored).toContain(`refinement-${taskId}`);
    expect(stored).toContain('downloadOriginalImage');
    for (const secret of [request.refinementPrompt, request.logoDescription, request.themeDescription, request.path]) {
      expect(stored).not.toContain(secret);
    }
  });

  describe('the codec endpoint', () => {
    const decode = (init: { token?: string; headers?: Record<string, string> }, payloads = [payloadJson(started().payload)]) =>
      gateway.fetch('/codec/decode', { method: 'POST', json: { payloads }, ...init });
    const started = () => raw.payloads.find((p) => p.path.includes('workflowExecutionStartedEventAttributes.input'))!;

    test('decodes the stored input back to the prompt for an operator, from the Web UI origin', async () => {
      const response = await decode({ token: OPERATOR_TOKEN, headers: { origin: UI_ORIGIN, 'x-namespace': 'default' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      const body = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(body.payloads).toHaveLength(1);
      expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
      const input = JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString('utf8'));
      expect(input).toMatchObject({
        taskId,
        refinementPrompt: request.refinementPrompt,
        logoDescription: request.logoDescription,
        themeDescription: request.themeDescription,
        originalImageUrl: request.originalImageUrl,
      });
    });

    test("an identity-provider JWT with the operator claim decodes; a user's JWT or API key does not", async () => {
      const operatorJwt = await gateway.token('ops-1', { claims: { refinery_role: 'operator' } });
      expect((await decode({ token: operatorJwt })).status).toBe(200);
      const rolesJwt = await gateway.token('ops-2', { claims: { refinery_role: ['viewer', 'operator'] } });
      expect((await decode({ token: rolesJwt })).status).toBe(200);

      const user = await gateway.token('user-123');
      const refused = await decode({ token: user });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { detail: string }).detail).toContain('refinery_role=operator');
      const { key } = await gateway.apiKeys().create('user-123', 'codec test');
      expect((await decode({ token: key })).status).toBe(403);
      expect((await decode({ headers: { 'x-api-key': key } })).status).toBe(403);
      const forged = await gateway.token('ops-3', { claims: { refinery_role: 'operator' }, secret: 'f'.repeat(40) });
      expect((await decode({ token: forged })).status).toBe(401);
    });

    test('`refinery token --operator` mints a JWT that opens /codec; without the flag it does not', async () => {
      const bin = path.join(__dirname, '..', '..', '..', 'bin', 'refinery.js');
      const mint = async (...flags: string[]) =>
        (await run(process.execPath, [bin, 'token', '--user', 'ops-cli', ...flags], { env: gateway.env, timeout: 60_000 })).stdout.trim();
      expect((await decode({ token: await mint('--operator') })).status).toBe(200);
      expect((await decode({ token: await mint() })).status).toBe(403);
    });

    test('answers 401 without credentials or with a wrong operator token, and says nothing of the payload', async () => {
      for (const init of [{}, { token: randomBytes(32).toString('base64url') }, { headers: { origin: UI_ORIGIN } }]) {
        const response = await decode(init);
        expect(response.status).toBe(401);
        const text = await response.text();
        expect(text).not.toContain('autumn');
        expect(response.headers.get('www-authenticate')).toContain('Bearer');
      }
    });

    test('answers a preflight from the UI origin with CORS headers, and one from another origin with none', async () => {
      const preflight = (origin: string, path = '/codec/decode') =>
        gateway.fetch(path, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
        });
      const fromUi = await preflight(UI_ORIGIN);
      expect(fromUi.status).toBe(204);
      expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(fromUi.headers.get('access-control-allow-methods')).toBe('POST');
      expect(fromUi.headers.get('access-control-allow-headers')?.split(',').map((h) => h.trim()).sort()).toEqual([
        'authorization',
        'content-type',
        'x-namespace',
      ]);
      expect(fromUi.headers.get('access-control-allow-credentials')).toBe('true');
      const fromElsewhere = await preflight('https://evil.example');
      expect(fromElsewhere.status).toBe(404);
      expect([...fromElsewhere.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      const posted = await decode({ token: OPERATOR_TOKEN, headers: { origin: 'https://evil.example' } });
      expect([...posted.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      // The API itself answers no CORS at all: only /codec is meant for the UI's browser.
      const api = await preflight(UI_ORIGIN, '/v1/refinements');
      expect(api.headers.get('access-control-allow-origin')).toBeNull();
    });

    test('encodes with the current key; what it encodes decodes back', async () => {
      const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"signal from the UI"').toString('base64') };
      const encoded = await gateway.fetch('/codec/encode', { method: 'POST', token: OPERATOR_TOKEN, json: { payloads: [plain] } });
      expect(encoded.status).toBe(200);
      const sealed = ((await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads[0];
      expect(Buffer.from(sealed.metadata['encryption-key-id'], 'base64').toString()).toBe('A');
      expect(Buffer.from(sealed.data, 'base64').toString('latin1')).not.toContain('signal from the UI');
      const decoded = await decode({ token: OPERATOR_TOKEN }, [sealed]);
      expect(((await decoded.json()) as { payloads: unknown[] }).payloads).toEqual([plain]);
    });

    test('a payload under an unknown key is a 422 naming the key; a malformed body a 400', async () => {
      const foreign = { ...payloadJson(started().payload) };
      foreign.metadata = { ...foreign.metadata, 'encryption-key-id': Buffer.from('Z').toString('base64') };
      const unknown = await decode({ token: OPERATOR_TOKEN }, [foreign]);
      expect(unknown.status).toBe(422);
      expect(((await unknown.json()) as { detail: string }).detail).toContain('key "Z", which is not configured');
      const malformed = await gateway.fetch('/codec/decode', { method: 'POST', token: OPERATOR_TOKEN, json: { payloads: [{ data: 'not base64!' }] } });
      expect(malformed.status).toBe(400);
    });

    test('is a 404 when encryption is not configured', async () => {
      const plainGateway = await TestGateway.start(stack, { PAYLOAD_ENCRYPTION_KEYS: '' });
      try {
        const response = await plainGateway.fetch('/codec/decode', { method: 'POST', token: OPERATOR_TOKEN, json: { payloads: [] } });
        expect(response.status).toBe(404);
      } finally {
        await plainGateway.close();
      }
    });
  });
});
