/** The worker process: its deployment version, shutdown, stickiness, its workflow bundle and its health endpoint. */
import { msToNumber } from '@temporalio/common';
import { z } from 'zod';
import { DEFAULT_STAGE_POLICIES } from '../workflows/stage-policies';
import { defineConcern } from './concern';
import { bool, int, refuse } from './env';

/** What a worker does about the deployment's current version when it starts (docs/deploying.md#worker-versioning). */
export type BecomeCurrent = 'if-none' | 'always' | 'never';

export interface WorkerConfig {
  /** Poll as a version of the Worker Deployment (TEMPORAL_DEPLOYMENT_NAME, build id of the bundle); refinements are pinned to it. */
  versioning: boolean;
  becomeCurrent: BecomeCurrent;
  shutdownGraceMs: number;
  shutdownForceMs: number;
  stickyTimeoutMs: number;
  workflowBundlePath?: string;
  /** The health endpoint, when WORKER_HEALTH_PORT is set. */
  health?: { port: number; host: string };
}

/**
 * A refine call that a shutdown cuts is paid for again by the next attempt (unless the provider
 * keeps a checkpoint), so the default drain lets the longest call the refine stage allows finish:
 * its default startToClose timeout. The stage policies are the starter's (each run carries its
 * own), not the worker's: an operator who lengthens the refine stage's timeout sets the grace too.
 */
export const SHUTDOWN_GRACE_BOUNDS_MS = { min: 10_000, max: 15 * 60_000 } as const;
const DEFAULT_SHUTDOWN_GRACE_MS = Math.min(
  SHUTDOWN_GRACE_BOUNDS_MS.max,
  Math.max(SHUTDOWN_GRACE_BOUNDS_MS.min, msToNumber(DEFAULT_STAGE_POLICIES.refine.startToCloseTimeout)),
);
/** After the grace, cancelled attempts get this long to report their heartbeat details. */
const FORCE_AFTER_GRACE_MS = 15_000;

export const worker = defineConcern({
  title: 'Worker',
  variables: {
    WORKER_VERSIONING: bool
      .default(true)
      .describe(
        'Poll as a version of the Worker Deployment (`TEMPORAL_DEPLOYMENT_NAME`, build id = hash of the workflow bundle), each refinement pinned to the version it started on; `false`: an unversioned worker.',
      ),
    WORKER_BECOME_CURRENT: z
      .enum(['if-none', 'always', 'never'])
      .default('if-none')
      .describe(
        "On start, make this worker's version the one new refinements start on: `if-none` when the deployment has no current version yet, `always` (a stack that replaces its only worker), `never` (promote with `refinery deploy promote`).",
      ),
    WORKER_SHUTDOWN_GRACE_MS: int(0)
      .max(SHUTDOWN_GRACE_BOUNDS_MS.max)
      .default(DEFAULT_SHUTDOWN_GRACE_MS)
      .meta({
        description:
          "On SIGINT/SIGTERM the worker stops polling and in-flight activities get this long to finish (at most 15 min); then they are cancelled, report their heartbeat details and are retried elsewhere. Keep it at the refine stage's startToClose timeout when `REFINERY_STAGE_POLICIES` changes that: a provider call cut short is paid for twice.",
        defaultText: "300000 (the refine stage's default startToClose timeout)",
      }),
    WORKER_SHUTDOWN_FORCE_MS: int(0)
      .optional()
      .meta({
        description: 'Past this (from the signal) the worker stops whatever still runs and exits; at least the grace time.',
        defaultText: '(the grace time + 15 s)',
      }),
    // It bounds how long a crashed worker holds up its workflows (the SDK's default is 10 s).
    WORKER_STICKY_TIMEOUT_MS: int(100)
      .default(3_000)
      .describe('How long a workflow task waits for the worker that last ran the workflow before any worker may take it.'),
    WORKFLOW_BUNDLE_PATH: z.string().optional().meta({
      description: 'A workflow bundle of your own (`npm run bundle` makes one).',
      defaultText: '(unset: the one `npm run build` prebuilt; bundled at start, in seconds, when running from source)',
    }),
    WORKER_HEALTH_PORT: int(0).max(65535).optional().meta({
      description: 'Port of `GET /livez` (the pollers run) and `GET /readyz` (Temporal, the database and the image store answer).',
      defaultText: '(unset: no endpoint)',
    }),
    WORKER_HEALTH_HOST: z.string().default('127.0.0.1').describe('Where the health endpoint listens: loopback suits a container `HEALTHCHECK`; `0.0.0.0` lets an orchestrator probe it.'),
  },
  options: (e): { worker: WorkerConfig } => {
    const shutdownGraceMs = e.WORKER_SHUTDOWN_GRACE_MS;
    const shutdownForceMs = e.WORKER_SHUTDOWN_FORCE_MS ?? shutdownGraceMs + FORCE_AFTER_GRACE_MS;
    if (shutdownForceMs < shutdownGraceMs) refuse(`WORKER_SHUTDOWN_FORCE_MS (${shutdownForceMs}) is below the grace time (${shutdownGraceMs} ms)`);
    return {
      worker: {
        versioning: e.WORKER_VERSIONING,
        becomeCurrent: e.WORKER_BECOME_CURRENT,
        shutdownGraceMs,
        shutdownForceMs,
        stickyTimeoutMs: e.WORKER_STICKY_TIMEOUT_MS,
        workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
        health: e.WORKER_HEALTH_PORT === undefined ? undefined : { port: e.WORKER_HEALTH_PORT, host: e.WORKER_HEALTH_HOST },
      },
    };
  },
});
