/**
 * Workflow interceptors, bundled with the workflow (src/worker/bundle.ts): OpenTelemetry's for runs
 * started with a trace context (src/workflows/tracing.ts: a span for the run and for each activity
 * it schedules, its context passed on in activity headers), the
 * request id copied from the start header onto every activity, and a sink call when a refinement
 * ends so the worker counts completed, failed and cancelled refinements. None of them issues a
 * command, so histories recorded without them replay unchanged; sinks are not called on replay.
 */
import {
  isCancellation,
  proxySinks,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type { Payload } from '@temporalio/common';
import { REQUEST_ID_HEADER } from './request-id-header';
import { tracingInterceptors } from './tracing';

export type RefinementOutcome = 'completed' | 'failed' | 'cancelled';

export interface RefinerySinks extends Sinks {
  refineryMetrics: {
    /** Called once when a refineConcept run ends, outside replay. */
    refinementEnded(outcome: RefinementOutcome): void;
  };
}

const { refineryMetrics } = proxySinks<RefinerySinks>();

export const interceptors: WorkflowInterceptorsFactory = () => {
  // Per run: the factory is called for each workflow, so nothing is shared between runs.
  let requestId: Payload | undefined;
  const withRequestId = <T extends ActivityInput | LocalActivityInput>(input: T): T =>
    requestId ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: requestId } } : input;

  const outcomes: WorkflowInboundCallsInterceptor = {
    async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
      requestId = input.headers[REQUEST_ID_HEADER];
      try {
        const result = await next(input);
        refineryMetrics.refinementEnded('completed');
        return result;
      } catch (err) {
        refineryMetrics.refinementEnded(isCancellation(err) ? 'cancelled' : 'failed');
        throw err;
      }
    },
  };
  const forwarding: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => next(withRequestId(input)),
    scheduleLocalActivity: (input, next) => next(withRequestId(input)),
  };
  const tracing = tracingInterceptors();
  return {
    inbound: [...tracing.inbound, outcomes],
    outbound: [...tracing.outbound, forwarding],
    internals: tracing.internals,
  };
};
