/**
 * Keeps the status column of the ownership table close to the truth. Reads and streams record what
 * they see; before the running cap or a status-filtered list relies on the column, the user's rows
 * still marked running are checked against Temporal with one describe each (a handful of rows: the
 * cap keeps that number small).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { refinementStatusOf, type RefinementClient } from '../../client/refinements';
import { refinementStageKey } from '../../workflows/messages';
import type { RefinementProgress } from '../../workflows/types';
import type { OwnershipStore } from './ownership';

/** A claimed row without a workflow this long after its creation is a start that never happened. */
const ABANDONED_AFTER_MS = 5 * 60_000;

export class StatusCache {
  constructor(
    private readonly ownership: OwnershipStore,
    private readonly refinements: RefinementClient,
  ) {}

  async record(progress: RefinementProgress): Promise<void> {
    if (progress.status !== 'running') await this.ownership.markFinished(progress.taskId, progress.status, progress.finishedAt);
  }

  async refreshRunning(userId: string, limit = 100): Promise<void> {
    const rows = await this.ownership.running(userId, limit);
    await Promise.all(
      rows.map(async (row) => {
        try {
          const description = await this.refinements.handle(row.task_id).describe();
          // A run still delivering webhooks is open on the server, but its outcome is settled and
          // recorded in the RefinementStage search attribute: it no longer counts as running.
          const stage = description.typedSearchAttributes.get(refinementStageKey);
          const settled = stage === 'completed' || stage === 'failed' || stage === 'cancelled' ? stage : undefined;
          const status = settled ?? refinementStatusOf(description.status.name);
          if (status !== 'running') await this.ownership.markFinished(row.task_id, status, description.closeTime?.toISOString() ?? null);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          if (Date.now() - Date.parse(row.created_at) > ABANDONED_AFTER_MS) await this.ownership.markFinished(row.task_id, 'failed', null);
        }
      }),
    );
  }
}
