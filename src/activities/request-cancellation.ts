/**
 * The `cancelRefinement` signal ends in a server-side cancel request for the same run, made here.
 * Why: only a cancel requested through the server gives the run the Canceled status, and a workflow
 * cannot request its own cancellation (the server refuses a workflow cancelling itself). So the signal
 * and `handle.cancel()` end the same way, and the reason is on the CancelRequested event in the Web UI.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

export interface RequestCancellationInput {
  reason: string;
}

export function createRequestCancellation(deps: { client: Client }) {
  return async function requestCancellation(input: RequestCancellationInput): Promise<void> {
    const { workflowExecution, workflowNamespace } = Context.current().info;
    await deps.client.workflowService.requestCancelWorkflowExecution({
      namespace: workflowNamespace,
      workflowExecution,
      reason: input.reason,
      identity: deps.client.options.identity,
      requestId: randomUUID(),
    });
  };
}
