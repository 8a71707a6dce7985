/**
 * Starts and reads erasures (the eraseUser workflow), for the gateway's /v1/me/erasure and the
 * operator's `refinery admin erase-user`. One erasure runs per user: a request while one runs joins
 * it; a request after it ended starts a new one, which removes whatever appeared since (often nothing).
 */
import type { Client } from '@temporalio/client';
import { InvalidRefinementInputError } from '../errors';
import { erasureWorkflowIdFor, type EraseUserInput, type EraseUserResult, type eraseUser } from '../workflows/erase-user';
import { ID_PATTERN } from '../workflows/input-validation';

export interface StartedErasure {
  /** The erasure's id: its first run's id, also the id of its audit row. */
  erasureId: string;
  workflowId: string;
  requestedAt: string;
}

export class ErasureClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async start(request: Omit<EraseUserInput, 'requestedAt'>): Promise<StartedErasure> {
    // The rule and the error of a refinement's ids (the gateway answers it with 400).
    if (!ID_PATTERN.test(request.userId)) throw new InvalidRefinementInputError(`user id ${JSON.stringify(request.userId)} is not a plain id`);
    const requestedAt = new Date().toISOString();
    const workflowId = erasureWorkflowIdFor(request.userId);
    const handle = await this.client.workflow.start<typeof eraseUser>('eraseUser', {
      taskQueue: this.taskQueue,
      workflowId,
      args: [{ ...request, requestedAt }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // No search attributes: the erasure is not one of the user's runs, and the erasure deletes those.
      staticSummary: `Erase the data of user ${request.userId}`,
    });
    // USE_EXISTING answers a request that joined a running erasure with that run's id.
    return { erasureId: handle.firstExecutionRunId, workflowId, requestedAt };
  }

  /** Waits for the erasure's end; it does not fail on its own (its steps retry until they succeed). */
  async result(userId: string, erasureId?: string): Promise<EraseUserResult> {
    return this.client.workflow.getHandle<typeof eraseUser>(erasureWorkflowIdFor(userId), erasureId).result();
  }
}
