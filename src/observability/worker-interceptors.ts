/**
 * What a worker adds for observability: OpenTelemetry's activity interceptors (a span per attempt,
 * continuing the workflow's trace; trace ids in the SDK's activity log attributes), the request id
 * in each activity's log context, the workflow interceptors module, and the sinks it calls (workflow
 * spans to this process's span processor; ended refinements to the metrics).
 */
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { RefinerySinks } from '../workflows/interceptors';
import { refinementDuration, refinementsEnded } from './metrics';
import { RequestIdActivityInterceptor } from './request-id-interceptors';

export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

export interface SpanDestination {
  spanProcessor: SpanProcessor;
  resource: Resource;
}

export function observabilityInterceptors(): Required<Pick<WorkerInterceptors, 'activity' | 'workflowModules'>> {
  return {
    activity: [
      (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
      () => ({ inbound: new RequestIdActivityInterceptor() }),
    ],
    workflowModules: WORKFLOW_INTERCEPTOR_MODULES,
  };
}

export function observabilitySinks(spans: SpanDestination = { spanProcessor: new NoopSpanProcessor(), resource: Resource.default() }): InjectedSinks<RefinerySinks> {
  return {
    exporter: makeWorkflowExporter(spans.spanProcessor, spans.resource),
    refineryMetrics: {
      refinementEnded: {
        fn(info, outcome) {
          if (info.workflowType !== 'refineConcept') return;
          refinementsEnded.inc({ outcome });
          refinementDuration.observe({ outcome }, Math.max(0, Date.now() - info.startTime.getTime()) / 1000);
        },
      },
    },
  } as InjectedSinks<RefinerySinks>;
}
