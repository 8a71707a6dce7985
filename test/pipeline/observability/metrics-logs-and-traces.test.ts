/**
 * Observability end to end, on the stack of observed-stack.ts: a worker process with its metrics
 * endpoint and OTLP export on, the gateway (in this process, tracing to the same receiver), the
 * OpenAI-compatible fake answering 429 once, PostgreSQL. One completed and one failed refinement,
 * then: the worker's and the gateway's metrics moved (the SDK's too), one trace runs from the gateway
 * through the workflow and its four stages down to the HTTP calls, the request id reaches the
 * worker's log lines, and the dashboard and alert rules only name metrics the endpoints expose. Then
 * /metrics behind a token, and promtool on the alert rules.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, failureOf } from '../../harness/expectations';
import { TestGateway } from '../../harness/gateway';
import type { ReceivedSpan } from '../../harness/otlp-receiver';
import { metricNames, sumOf } from '../../harness/prometheus';
import { recordHistory } from '../../harness/histories';
import { body, fake, gateway, images, original, receiver, scrape, stack, token, useObservedStack, workerMetricsUrl } from './observed-stack';

useObservedStack();

describe('one completed and one failed refinement', () => {
  const requestId = `obs-req-${Date.now()}`;
  let okTask: string;
  let failedTask: string;
  let workerBefore: string;
  let gatewayBefore: string;
  let workerAfter: string;
  let gatewayAfter: string;
  let openStreamsWhileWatching: number;

  beforeAll(async () => {
    [workerBefore, gatewayBefore] = await Promise.all([scrape(workerMetricsUrl), scrape(`${gateway.origin}/metrics`)]);
    fake.willAnswer({ kind: 'rateLimited', retryAfter: '1' });
    const started = await gateway.fetch('/v1/refinements', {
      method: 'POST',
      token,
      json: body(images.serve('/obs-ok.png', { body: original })),
      headers: { 'x-request-id': requestId },
    });
    expect(started.status).toBe(202);
    expect(started.headers.get('x-request-id')).toBe(requestId);
    okTask = ((await started.json()) as { taskId: string }).taskId;

    // An event stream open while the refinement runs (the provider's Retry-After holds it ≥ 1 s).
    const stream = await gateway.fetch(`/v1/refinements/${okTask}/events`, { token });
    expect(stream.status).toBe(200);
    openStreamsWhileWatching = sumOf(await scrape(`${gateway.origin}/metrics`), 'refinery_gateway_open_event_streams');
    await stream.text();

    const failing = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body(`${images.origin}/missing.png`) });
    expect(failing.status).toBe(202);
    failedTask = ((await failing.json()) as { taskId: string }).taskId;

    await stack.refinements.result(okTask);
    // A run with the trace and request-id headers and a Retry-After retry, for the replay test.
    if (process.env.RECORD_HISTORIES) recordHistory('completed-traced-provider-429', await stack.refinements.handle(okTask).fetchHistory());
    expect((await failureOf(stack.refinements, failedTask)).failureType).toBe('ImageUnavailableError');
    // The sink call and the SDK's counters follow the workflow's completion by a moment.
    workerAfter = await eventually(async () => {
      const text = await scrape(workerMetricsUrl);
      return sumOf(text, 'refinery_refinements_total', { outcome: 'failed' }) > sumOf(workerBefore, 'refinery_refinements_total', { outcome: 'failed' }) &&
        sumOf(text, 'refinery_refinements_total', { outcome: 'completed' }) > sumOf(workerBefore, 'refinery_refinements_total', { outcome: 'completed' })
        ? text
        : undefined;
    });
  });

  const delta = (name: string, labels: Record<string, string> = {}) => sumOf(workerAfter, name, labels) - sumOf(workerBefore, name, labels);

  test('worker: stage attempts by outcome and failure type, stage durations, refinements by outcome', () => {
    for (const stage of ['download', 'refine', 'storeImage', 'storeConcept']) {
      expect(delta('refinery_stage_attempts_total', { stage, outcome: 'succeeded' })).toBe(1);
      expect(delta('refinery_stage_duration_seconds_count', { stage, outcome: 'succeeded' })).toBe(1);
    }
    expect(delta('refinery_stage_attempts_total', { stage: 'refine', outcome: 'failed', failure_type: 'ProviderUnavailableError', retryable: 'true' })).toBe(1);
    expect(delta('refinery_stage_attempts_total', { stage: 'download', outcome: 'failed', failure_type: 'ImageUnavailableError', retryable: 'false' })).toBe(1);
    expect(delta('refinery_refinements_total', { outcome: 'completed' })).toBe(1);
    expect(delta('refinery_refinements_total', { outcome: 'failed' })).toBe(1);
    expect(delta('refinery_refinement_duration_seconds_sum', { outcome: 'completed' })).toBeGreaterThan(1); // the Retry-After alone is 1 s
  });

  test('worker: provider latency by status class, 429s and the Retry-After honoured', () => {
    expect(delta('refinery_provider_request_duration_seconds_count', { provider: 'openai', status_class: '4xx' })).toBe(1);
    expect(delta('refinery_provider_request_duration_seconds_count', { provider: 'openai', status_class: '2xx' })).toBe(1);
    expect(delta('refinery_provider_rate_limited_total', { provider: 'openai' })).toBe(1);
    expect(delta('refinery_provider_retry_after_seconds_count', { provider: 'openai' })).toBe(1);
    expect(delta('refinery_provider_retry_after_seconds_sum', { provider: 'openai' })).toBe(1);
  });

  test('worker: download bytes and refusals by rule, store and database operations', () => {
    expect(delta('refinery_download_bytes_total')).toBeGreaterThanOrEqual(original.length);
    expect(delta('refinery_download_refused_total', { rule: 'unavailable' })).toBe(1);
    // The staged original (from a file), the provider's answer (bytes), the published copy.
    for (const operation of ['putFile', 'put', 'copy']) {
      expect(delta('refinery_image_store_operation_duration_seconds_count', { operation, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    }
    expect(delta('refinery_database_operation_duration_seconds_count', { operation: 'storeConcept', outcome: 'ok' })).toBe(1);
  });

  test("worker: the Temporal SDK's own metrics are on the same endpoint", () => {
    expect(delta('temporal_workflow_completed_total', { workflow_type: 'refineConcept' })).toBeGreaterThanOrEqual(1);
    expect(delta('temporal_workflow_failed_total', { workflow_type: 'refineConcept' })).toBeGreaterThanOrEqual(1);
    expect(delta('temporal_activity_execution_latency_seconds_count', { activity_type: 'refineConceptImage' })).toBeGreaterThanOrEqual(2);
    expect(sumOf(workerAfter, 'refinery_sdk_metrics_up')).toBe(1);
  });

  test('gateway: requests by route pattern and status, admissions, refusals by reason, open event streams', async () => {
    const refused = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: { refinementPrompt: 'x' }, headers: { 'x-request-id': 'bad-body-1' } });
    expect(refused.status).toBe(400);
    const problem = (await refused.json()) as { requestId?: string };
    expect(problem.requestId).toBe('bad-body-1');
    expect(refused.headers.get('x-request-id')).toBe('bad-body-1');
    expect((await gateway.fetch('/v1/refinements', { method: 'POST', json: body('https://example.com/a.png') })).status).toBe(401);

    gatewayAfter = await scrape(`${gateway.origin}/metrics`);
    const g = (name: string, labels: Record<string, string> = {}) => sumOf(gatewayAfter, name, labels) - sumOf(gatewayBefore, name, labels);
    expect(g('refinery_gateway_http_request_duration_seconds_count', { method: 'POST', route: '/v1/refinements', status_code: '202' })).toBe(2);
    expect(g('refinery_gateway_http_request_duration_seconds_count', { method: 'GET', route: '/v1/refinements/:taskId/events', status_code: '200' })).toBe(1);
    expect(g('refinery_gateway_admissions_total', { replayed: 'false' })).toBe(2);
    expect(g('refinery_gateway_refusals_total', { reason: 'validation' })).toBe(1);
    expect(g('refinery_gateway_refusals_total', { reason: 'unauthenticated' })).toBe(1);
    expect(g('refinery_gateway_authentication_refusals_total', { credential: 'none' })).toBe(1);
    expect(openStreamsWhileWatching).toBeGreaterThanOrEqual(1);
    expect(sumOf(gatewayAfter, 'refinery_gateway_open_event_streams')).toBe(0);
  });

  test('no task ids, user ids, URLs or prompts in any label', () => {
    for (const text of [workerAfter, gatewayAfter]) {
      for (const secret of [okTask, failedTask, 'olivia', images.origin, 'autumn', requestId]) expect(text).not.toContain(secret);
    }
  });

  test("the request id reaches every log line of the refinement's activities, with one trace id", () => {
    const lines = stack.workers
      .flatMap((w) => fs.readFileSync(w.logFile, 'utf8').split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ofTask = lines.filter((l) => l.taskId === okTask);
    expect(ofTask.length).toBeGreaterThanOrEqual(8);
    for (const line of ofTask) expect(line).toMatchObject({ requestId, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(new Set(ofTask.map((l) => l.traceId)).size).toBe(1);
    const finished = ofTask.filter((l) => l.msg === 'stage finished');
    expect(new Set(finished.map((l) => l.stage))).toEqual(new Set(['download', 'refine', 'storeImage', 'storeConcept']));
    for (const line of finished) expect(line.durationMs).toEqual(expect.any(Number));
  });

  test('one trace: gateway → workflow → the four stages → the outgoing HTTP calls, parents intact', async () => {
    const root = await eventually(async () => receiver.spans.find((s) => s.attributes['refinery.request_id'] === requestId));
    expect(root).toMatchObject({ name: 'POST /v1/refinements', service: 'refinery-gateway', kind: 2 /* SERVER */ });
    const wanted = ['RunWorkflow:refineConcept', 'RunActivity:downloadOriginalImage', 'RunActivity:refineConceptImage', 'RunActivity:storeRefinedImage', 'RunActivity:storeRefinedConcept'];
    const trace = await eventually(async () => {
      const spans = receiver.spans.filter((s) => s.traceId === root.traceId);
      return wanted.every((name) => spans.some((s) => s.name === name)) ? spans : undefined;
    }, 60_000, 'the whole trace');
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (span: ReceivedSpan): string[] => {
      const names: string[] = [];
      for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) names.push(parent.name);
      return names;
    };
    // This test's own fetch is traced too (same process): the gateway continued its traceparent.
    expect(byId.get(root.parentSpanId)).toMatchObject({ name: 'POST', kind: 3 /* CLIENT */, parentSpanId: '' });
    // Every span's parent was received (parent links intact) and leads back to the gateway's span.
    for (const span of trace.filter((s) => s !== root && s.spanId !== root.parentSpanId)) {
      expect(byId.has(span.parentSpanId)).toBe(true);
      expect(ancestors(span)).toContain('POST /v1/refinements');
    }
    for (const name of wanted.slice(1)) {
      for (const span of trace.filter((s) => s.name === name)) expect(ancestors(span)).toContain('RunWorkflow:refineConcept');
    }
    expect(ancestors(trace.find((s) => s.name === 'RunWorkflow:refineConcept')!)).toContain('StartWorkflow:refineConcept');
    // The outgoing HTTP calls: the download of the original, and the provider call (twice: 429, then 200).
    const httpUnder = (activity: string, method: string) =>
      trace.filter((s) => s.name === method && s.attributes['url.full'] !== undefined && ancestors(s).includes(activity));
    expect(httpUnder('RunActivity:downloadOriginalImage', 'GET')).toHaveLength(1);
    expect(httpUnder('RunActivity:refineConceptImage', 'POST').map((s) => s.attributes['http.response.status_code'])).toEqual(['429', '200']);
    // Store and database operations are spans of their stages.
    expect(trace.some((s) => s.name === 'database storeConcept' && ancestors(s).includes('RunActivity:storeRefinedConcept'))).toBe(true);
    expect(trace.some((s) => s.name === 'image_store copy' && ancestors(s).includes('RunActivity:storeRefinedImage'))).toBe(true);
    // The provider saw the trace context on the wire.
    expect(fake.requests.map((r) => r.headers.traceparent)).toEqual(expect.arrayContaining([expect.stringContaining(root.traceId)]));
    expect(receiver.contentTypes.every((t) => t === 'application/x-protobuf')).toBe(true);
  });

  test("the dashboard's and the alerts' queries name only metrics the endpoints expose", () => {
    const exposed = new Set([...metricNames(workerAfter), ...metricNames(gatewayAfter)]);
    const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../deploy/grafana/refinery.json'), 'utf8'));
    const exprs: string[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'expr' && typeof value === 'string') exprs.push(value);
          else if (key === 'query' && typeof value === 'string' && /\w+\(/.test(value)) exprs.push(value);
          else collect(value);
        }
      }
    };
    collect(dashboard);
    const alerts = fs.readFileSync(path.join(__dirname, '../../../deploy/prometheus/alerts.yml'), 'utf8');
    exprs.push(...[...alerts.matchAll(/expr:\s*(?:\|\s*)?([\s\S]*?)(?=\n\s*(?:for|labels|annotations|- alert):)/g)].map((m) => m[1]));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const named = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:refinery|temporal)_[a-z0-9_]+)/g)].map((m) => m[1])));
    expect(named.size).toBeGreaterThanOrEqual(10);
    expect([...named].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

test('GATEWAY_METRICS_TOKEN: /metrics answers only the bearer of the token', async () => {
  const guarded = await TestGateway.start(stack, { GATEWAY_METRICS_TOKEN: 'scrape-token-0123456789' });
  try {
    expect((await guarded.fetch('/metrics')).status).toBe(404);
    expect((await guarded.fetch('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(404);
    const allowed = await guarded.fetch('/metrics', { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('refinery_gateway_http_request_duration_seconds');
  } finally {
    await guarded.close();
  }
});

test('promtool accepts the alert rules', () => {
  const promtool = execFileSync('bash', [path.join(__dirname, '../../../scripts/ensure-promtool.sh')], { encoding: 'utf8' }).trim();
  const out = execFileSync(promtool, ['check', 'rules', path.join(__dirname, '../../../deploy/prometheus/alerts.yml')], { encoding: 'utf8' });
  expect(out).toMatch(/SUCCESS: \d+ rules found/);
});
