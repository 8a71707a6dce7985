/**
 * Carries the gateway's request id into a refinement: the client puts it in the start call's
 * Temporal header (and the memo, so the Web UI shows which request started a run); the workflow
 * interceptors (src/workflows/interceptors.ts) copy it onto every activity it schedules; the
 * activity interceptor puts it in the log context, so every log line of the activity names it.
 * Headers are not commands: adding one changes nothing that replay compares.
 */
import type { Next, WorkflowClientInterceptor, WorkflowSignalWithStartInput, WorkflowStartInput, WorkflowStartOutput } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { REQUEST_ID_HEADER } from '../workflows/request-id-header';
import { currentRequestId, runWithLogContext } from './log-context';

export class RequestIdClientInterceptor implements WorkflowClientInterceptor {
  async startWithDetails(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'startWithDetails'>): Promise<WorkflowStartOutput> {
    return next(withRequestId(input));
  }

  async signalWithStart(input: WorkflowSignalWithStartInput, next: Next<WorkflowClientInterceptor, 'signalWithStart'>): Promise<string> {
    return next(withRequestId(input));
  }
}

function withRequestId<T extends WorkflowStartInput | WorkflowSignalWithStartInput>(input: T): T {
  const requestId = currentRequestId();
  if (!requestId) return input;
  return {
    ...input,
    headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) },
    options: { ...input.options, memo: { ...input.options.memo, requestId } },
  };
}

/** Runs each activity in the log context of the request that started its refinement. */
export class RequestIdActivityInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const header = input.headers[REQUEST_ID_HEADER];
    const requestId = header ? defaultPayloadConverter.fromPayload<unknown>(header) : undefined;
    if (typeof requestId !== 'string') return next(input);
    return runWithLogContext({ requestId }, () => next(input));
  }
}
