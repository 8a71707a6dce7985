/**
 * The first step of an erasure: the user's runs on Temporal. Their refinements carry the UserId search
 * attribute; replays of their webhook deliveries are found by workflow id (one prefix per endpoint).
 * Running ones are cancelled first, so they end the way a cancel ends them (staged blobs removed, no
 * concept row written); one that is still open after the grace time (a concept being stored, a webhook
 * receiver that keeps failing) is terminated. Closed runs are deleted through Temporal's API, which
 * removes their histories and visibility records. The step ends when visibility lists none of them
 * twice in a row, so a run that became visible late is found too.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ErasureCounts } from '../adapters/user-data/erasure-counts';
import type { UserDataStore } from '../adapters/user-data/user-data-store';
import { AttemptHeartbeat } from './attempt-heartbeat';

export interface EraseUserRefinementsInput {
  userId: string;
  /** The erasure's own run: never one of the runs it deletes. */
  erasureWorkflowId: string;
  /** How long a cancelled run may take to close before it is terminated. */
  cancelGraceMs: number;
}

export type RefinementCounts = Pick<ErasureCounts, 'workflowRuns' | 'runsCancelled'>;

export interface EraseUserRefinementsDeps {
  client: Client;
  userData: UserDataStore;
  logger: Logger;
}

/**
 * Pause between looks at visibility, which is eventually consistent: short while there is work,
 * growing while only runs already deleted are still listed (the server removes a deleted run's
 * visibility record on its own schedule, up to about a minute for a run deleted right after it closed).
 */
const POLL_MS = 500;
const MAX_POLL_MS = 5_000;
/** Empty listings in a row that end the step. */
const EMPTY_LISTINGS = 2;

export function createEraseUserRefinements(deps: EraseUserRefinementsDeps) {
  return async function eraseUserRefinements(input: EraseUserRefinementsInput): Promise<RefinementCounts> {
    const activity = Context.current();
    const heartbeat = new AttemptHeartbeat(activity);
    // A retry goes on from what the earlier attempt had done.
    const counts: RefinementCounts = { workflowRuns: 0, runsCancelled: 0, ...(activity.info.heartbeatDetails as Partial<RefinementCounts> | undefined) };
    const namespace = deps.client.options.namespace;
    const cancelledAt = new Map<string, number>();
    const deleted = new Set<string>();
    const log = deps.logger.child({ activity: 'eraseUserRefinements', attempt: activity.info.attempt });
    try {
      const endpointIds = await deps.userData.webhookEndpointIdsOf(input.userId);
      const queries = [`UserId = ${quoted(input.userId)}`, ...endpointIds.map((id) => `WorkflowType = 'redeliverWebhook' AND WorkflowId STARTS_WITH ${quoted(`webhook-replay-${id}-`)}`)];
      let pause = POLL_MS;
      for (let empty = 0; empty < EMPTY_LISTINGS; ) {
        let acted = false;
        const runs = (await listRuns(deps.client, queries)).filter((run) => run.workflowId !== input.erasureWorkflowId);
        empty = runs.length === 0 ? empty + 1 : 0;
        for (const run of runs) {
          const key = `${run.workflowId}/${run.runId}`;
          const handle = deps.client.workflow.getHandle(run.workflowId, run.runId);
          try {
            if (run.status.name === 'RUNNING') {
              const since = cancelledAt.get(key);
              if (since === undefined) {
                await handle.cancel();
                cancelledAt.set(key, Date.now());
                counts.runsCancelled++;
              } else if (Date.now() - since > input.cancelGraceMs) {
                await handle.terminate('the user’s data is being erased');
              }
              acted = true;
            } else if (!deleted.has(key)) {
              await deps.client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: run.workflowId, runId: run.runId } });
              deleted.add(key);
              counts.workflowRuns++;
              acted = true;
            }
          } catch (err) {
            // Gone already (deleted by an earlier attempt, still listed for a moment): nothing to do.
            if (!(err instanceof WorkflowNotFoundError) && !isNotFound(err)) throw err;
          }
          heartbeat.keep({ ...counts });
        }
        pause = acted || runs.length === 0 ? POLL_MS : Math.min(pause * 2, MAX_POLL_MS);
        await activity.sleep(pause);
      }
    } finally {
      heartbeat.stop();
    }
    log.info({ ...counts }, 'workflow runs of the user erased');
    return counts;
  };
}

async function listRuns(client: Client, queries: string[]): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for (const query of queries) for await (const run of client.workflow.list({ query })) runs.push(run);
  return runs;
}

/** A string literal of the visibility query language. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The raw gRPC NOT_FOUND (code 5) that workflowService calls throw. */
function isNotFound(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === 5;
}
