/**
 * OpenTelemetry's workflow interceptors, for the runs whose starter traced them. Creating a run's
 * spans in the sandbox and handing them to the worker through a sink costs about a sixth of the
 * worker's CPU per refinement (measured with bench/pipeline/timeline.ts); a run started without a
 * sampled trace has nothing to record, so it pays nothing: no trace context (a start from the CLI),
 * or one marked not sampled (the gateway's tracing off: its spans are non-recording, yet it still
 * sends their ids). Such a run hands the start's trace context on to its stages unchanged, so their
 * log lines carry the gateway's trace id. The choice is made from the start's headers, which are in
 * the history: a replay makes the same one. The interceptors issue no commands either way.
 *
 * OpenTelemetry's modules are loaded only for a traced run: the sandbox evaluates a workflow's
 * modules once per run, and evaluating OpenTelemetry's SDK took about an eighth of the workflow
 * thread's CPU per refinement even for runs that never trace (a CPU profile of the worker).
 */
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type {
  ActivityInput,
  LocalActivityInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInternalsInterceptor,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The start header OpenTelemetry's client interceptor writes the trace context to (its TRACE_HEADER). */
export const TRACE_HEADER = '_tracer-data';

interface OpenTelemetryInterceptors {
  inbound: OpenTelemetryWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryWorkflow.OpenTelemetryInternalsInterceptor;
}

const INBOUND = ['handleSignal', 'handleUpdate', 'validateUpdate', 'handleQuery'] as const;
const OUTBOUND = [
  'scheduleActivity',
  'scheduleLocalActivity',
  'startNexusOperation',
  'startChildWorkflowExecution',
  'continueAsNew',
  'signalWorkflow',
  'getLogAttributes',
  'getMetricTags',
] as const;
const INTERNALS = ['dispose'] as const;

/**
 * One run's interceptors: OpenTelemetry's once `execute` has seen a sampled trace context, else
 * pass-through, with the start's trace context (if any) copied onto each stage.
 */
export function tracingInterceptors(): Required<Pick<WorkflowInterceptors, 'inbound' | 'outbound' | 'internals'>> {
  let otel: OpenTelemetryInterceptors | undefined;
  let startTraceContext: Payload | undefined;
  const withStartTraceContext = <T extends ActivityInput | LocalActivityInput>(input: T): T =>
    startTraceContext && !otel ? { ...input, headers: { ...input.headers, [TRACE_HEADER]: startTraceContext } } : input;
  const inbound = {
    ...(whenTraced(INBOUND, () => otel?.inbound) as WorkflowInboundCallsInterceptor),
    execute(input, next) {
      startTraceContext = input.headers[TRACE_HEADER];
      if (startedWithSampledTrace(input.headers)) {
        // Loaded for traced runs only (see above).
        const { OpenTelemetryInboundInterceptor, OpenTelemetryOutboundInterceptor, OpenTelemetryInternalsInterceptor } =
          require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OpenTelemetryWorkflow;
        otel = {
          inbound: new OpenTelemetryInboundInterceptor(),
          outbound: new OpenTelemetryOutboundInterceptor(),
          internals: new OpenTelemetryInternalsInterceptor(),
        };
      }
      return otel ? otel.inbound.execute(input, next) : next(input);
    },
  } satisfies WorkflowInboundCallsInterceptor;
  const traced = whenTraced(OUTBOUND, () => otel?.outbound) as WorkflowOutboundCallsInterceptor;
  const outbound: WorkflowOutboundCallsInterceptor = {
    ...traced,
    scheduleActivity: (input, next) => traced.scheduleActivity!(withStartTraceContext(input), next),
    scheduleLocalActivity: (input, next) => traced.scheduleLocalActivity!(withStartTraceContext(input), next),
  };
  return {
    inbound: [inbound],
    outbound: [outbound],
    internals: [whenTraced(INTERNALS, () => otel?.internals) as WorkflowInternalsInterceptor],
  };
}

/**
 * W3C trace context: `version-traceid-parentid-flags`, the flags' lowest bit meaning "sampled". Read
 * here rather than with @opentelemetry/core's parser, which the sandbox would evaluate for every run.
 */
export function startedWithSampledTrace(headers: Record<string, Payload>): boolean {
  const carrier = headers[TRACE_HEADER];
  if (!carrier) return false;
  const decoded = defaultPayloadConverter.fromPayload<Record<string, unknown> | null>(carrier);
  const flags = typeof decoded?.traceparent === 'string' ? decoded.traceparent.split('-')[3] : undefined;
  return flags !== undefined && /^[0-9a-f]{2}$/.test(flags) && (parseInt(flags, 16) & 1) === 1;
}

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

/** Each named method goes to OpenTelemetry's interceptor when the run is traced, else straight on. */
function whenTraced<K extends string>(methods: readonly K[], target: () => object | undefined): Record<K, Method> {
  const entries = methods.map((name): [K, Method] => [
    name,
    (input, next) => {
      const interceptor = target() as Record<K, Method | undefined> | undefined;
      const method = interceptor?.[name];
      return method ? method.call(interceptor, input, next) : next(input);
    },
  ]);
  return Object.fromEntries(entries) as Record<K, Method>;
}
