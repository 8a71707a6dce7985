/** The worker process: shutdown, stickiness, its workflow bundle and its health endpoint. */
import { z } from 'zod';
import { defineConcern } from './concern';
import { int } from './env';

export interface WorkerConfig {
  shutdownGraceMs: number;
  stickyTimeoutMs: number;
  workflowBundlePath?: string;
  /** The health endpoint, when WORKER_HEALTH_PORT is set. */
  health?: { port: number; host: string };
}

export const worker = defineConcern({
  title: 'Worker',
  variables: {
    WORKER_SHUTDOWN_GRACE_MS: int(0)
      .default(10_000)
      .describe('On SIGINT/SIGTERM in-flight activities get this long; then they are cancelled and retried elsewhere.'),
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
  options: (e): { worker: WorkerConfig } => ({
    worker: {
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      stickyTimeoutMs: e.WORKER_STICKY_TIMEOUT_MS,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      health: e.WORKER_HEALTH_PORT === undefined ? undefined : { port: e.WORKER_HEALTH_PORT, host: e.WORKER_HEALTH_HOST },
    },
  }),
});
