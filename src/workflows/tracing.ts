/**
 * OpenTelemetry's workflow interceptors, for the runs whose starter traced them. Creating a run's
 * spans in the sandbox and handing them to the worker through a sink costs about a sixth of the
 * worker's CPU per refinement (measured with bench/pipeline/timeline.ts); a run started without a
 * trace context (the gateway's tracing off, or a start from the CLI) has no trace to continue, so it
 * pays nothing. The choice is made from the start's headers, which are in the history: a replay
 * makes the same one. The interceptors issue no commands either way.
 *
 * OpenTelemetry's modules are loaded only for a traced run: the sandbox evaluates a workflow's
 * modules once per run, and evaluating OpenTelemetry's SDK took about an eighth of the workflow
 * thread's CPU per refinement even for runs that never trace (a CPU profile of the worker).
 */
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type {
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

/** One run's interceptors: OpenTelemetry's once `execute` has seen a trace context, else pass-through. */
export function tracingInterceptors(): Required<Pick<WorkflowInterceptors, 'inbound' | 'outbound' | 'internals'>> {
  let otel: OpenTelemetryInterceptors | undefined;
  const inbound = {
    ...(whenTraced(INBOUND, () => otel?.inbound) as WorkflowInboundCallsInterceptor),
    execute(input, next) {
      if (startedWithTraceContext(input.headers)) {
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
  return {
    inbound: [inbound],
    outbound: [whenTraced(OUTBOUND, () => otel?.outbound) as WorkflowOutboundCallsInterceptor],
    internals: [whenTraced(INTERNALS, () => otel?.internals) as WorkflowInternalsInterceptor],
  };
}

function startedWithTraceContext(headers: Record<string, Payload>): boolean {
  const carrier = headers[TRACE_HEADER];
  if (!carrier) return false;
  const decoded = defaultPayloadConverter.fromPayload<Record<string, unknown> | null>(carrier);
  return typeof decoded?.traceparent === 'string';
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
