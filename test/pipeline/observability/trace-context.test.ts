/**
 * Where a run's trace context comes from, on the stack of observed-stack.ts: a run started without
 * one records no workflow spans (its stages are still traced), a run whose trace is marked not sampled
 * records nothing and its stages log that trace's id, the workflow reads the header
 * OpenTelemetry's client interceptor writes, and a traceparent alone gives the gateway its request id.
 */
import fs from 'node:fs';
import http from 'node:http';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TRACE_HEADER as OPENTELEMETRY_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { TRACE_HEADER } from '../../../src/workflows/tracing';
import { eventually } from '../../harness/expectations';
import { body, gateway, images, original, receiver, stack, token, useObservedStack } from './observed-stack';

useObservedStack();

test('a run started without a trace context records no workflow spans; its stages are still traced', async () => {
  // Started the way a starter without tracing starts it (the CLI, a script): a client with no
  // OpenTelemetry interceptor, so the start carries no trace context.
  const taskId = `obs-untraced-${Date.now()}`;
  const input = stack.refinements.validInput(stack.request({ taskId, originalImageUrl: images.serve('/obs-untraced.png', { body: original }) }));
  const connection = await Connection.connect({ address: stack.config.temporal.address });
  const workflowId = `refinement-${taskId}`;
  try {
    await new Client({ connection, namespace: stack.config.temporal.namespace }).workflow.start('refineConcept', {
      taskQueue: stack.config.temporal.taskQueue,
      workflowId,
      args: [input],
    });
  } finally {
    await connection.close();
  }
  await stack.refinements.result(taskId);
  const ofRun = () => receiver.spans.filter((s) => s.attributes.temporalWorkflowId === workflowId);
  // The stages' spans arrive (so this run's spans are being exported) ...
  await eventually(async () => (ofRun().some((s) => s.name === 'RunActivity:storeRefinedConcept') ? true : undefined), 30_000, 'the stage spans');
  // ... and the workflow made none: the stage spans' traces hold no run span and no activity-start
  // span (a traced run's stage spans are children of its StartActivity spans, under RunWorkflow).
  const traces = new Set(ofRun().map((s) => s.traceId));
  const inTheirTraces = receiver.spans.filter((s) => traces.has(s.traceId));
  expect(inTheirTraces.filter((s) => /^(RunWorkflow|StartActivity)/.test(s.name)).map((s) => s.name)).toEqual([]);
  expect(ofRun().filter((s) => s.name.startsWith('RunActivity')).every((s) => s.parentSpanId === '')).toBe(true);
});

test('a run started with a trace marked not sampled records no spans; its stages log that trace id', async () => {
  // What the gateway sends with its tracing off: a valid trace context whose flags say "not sampled".
  const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
  const traceparent = `00-${traceId}-00f067aa0ba902b7-00`;
  const withUnsampledTrace: WorkflowClientInterceptor = {
    start: (input, next) => next({ ...input, headers: { ...input.headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) } }),
  };
  const taskId = `obs-unsampled-${Date.now()}`;
  const input = stack.refinements.validInput(stack.request({ taskId, originalImageUrl: images.serve('/obs-unsampled.png', { body: original }) }));
  const connection = await Connection.connect({ address: stack.config.temporal.address });
  const workflowId = `refinement-${taskId}`;
  try {
    const client = new Client({ connection, namespace: stack.config.temporal.namespace, interceptors: { workflow: [withUnsampledTrace] } });
    await client.workflow.start('refineConcept', { taskQueue: stack.config.temporal.taskQueue, workflowId, args: [input] });
  } finally {
    await connection.close();
  }
  await stack.refinements.result(taskId);
  // Each stage logged the start's trace id ...
  const ofTask = () =>
    stack.workers
      .flatMap((w) => fs.readFileSync(w.logFile, 'utf8').split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.taskId === taskId && l.msg === 'stage finished');
  const finished = await eventually(async () => (ofTask().length === 4 ? ofTask() : undefined), 10_000, "the four stages' log lines");
  expect(finished.map((l) => l.traceId)).toEqual([traceId, traceId, traceId, traceId]);
  // ... and nothing of the run was recorded: a later traced run's spans arrive, none of this one's.
  const started = await gateway.fetch('/v1/refinements', { method: 'POST', token, json: body(images.serve('/obs-after-unsampled.png', { body: original })) });
  expect(started.status).toBe(202);
  const marker = ((await started.json()) as { taskId: string }).taskId;
  await stack.refinements.result(marker);
  await eventually(async () => (receiver.spans.some((s) => s.attributes.temporalWorkflowId === `refinement-${marker}` && s.name === 'RunActivity:storeRefinedConcept') ? true : undefined), 30_000, 'the traced run\'s spans');
  expect(receiver.spans.filter((s) => s.traceId === traceId || s.attributes.temporalWorkflowId === workflowId).map((s) => s.name)).toEqual([]);
});

test("the workflow looks for the trace context in the header OpenTelemetry's client interceptor writes", () => {
  // The workflow names it itself so that an untraced run loads none of OpenTelemetry's modules.
  expect(TRACE_HEADER).toBe(OPENTELEMETRY_TRACE_HEADER);
});

test('a traceparent without X-Request-Id gives its trace id as the request id', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  // node:http, not fetch: this process's undici instrumentation would add a traceparent of its own.
  const headers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
    http
      .get(`${gateway.origin}/v1/refinements?limit=1`, { headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }, (res) => {
        res.resume();
        expect(res.statusCode).toBe(200);
        resolve(res.headers);
      })
      .on('error', reject);
  });
  expect(headers['x-request-id']).toBe(traceId);
});
