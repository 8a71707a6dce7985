/**
 * Timeouts and retry policy of each stage. Pure data: the workflow imports it, so no I/O and no
 * libraries here. Operators override any field through REFINERY_STAGE_POLICIES (validated in
 * src/config/); the starter passes the overrides in the workflow input, so a run keeps the policy it
 * started with even if the configuration changes while it runs.
 */
import type { Duration } from '@temporalio/common';

export const STAGES = ['download', 'refine', 'storeImage', 'storeConcept'] as const;
export type Stage = (typeof STAGES)[number];

/** Every activity with a policy here: the four stages, and the cleanup that follows them. */
export const POLICY_NAMES = [...STAGES, 'cleanup'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface StagePolicy {
  /** Bounds one attempt; a crashed worker's attempt is retried after it (or after the heartbeat timeout). */
  startToCloseTimeout: Duration;
  /**
   * A live attempt heartbeats more often than this; a dead worker is noticed after it. For the stages
   * that run as local activities (storeImage, cleanup) the workflow task timeout plays
   * this part, so there it only applies to runs started before they did.
   */
  heartbeatTimeout: Duration;
  initialInterval: Duration;
  backoffCoefficient: number;
  maximumInterval: Duration;
  /** 0 means unlimited. */
  maximumAttempts: number;
}

export type StagePolicyOverrides = Partial<Record<PolicyName, Partial<StagePolicy>>>;

export const DEFAULT_STAGE_POLICIES: Record<PolicyName, StagePolicy> = {
  // Untrusted hosts: a few quick retries, then give up; the download itself has its own deadline.
  // A killed worker's attempt is retried after heartbeat timeout + first retry, and the workflow's
  // next task waits out the dead worker's sticky queue (WORKER_STICKY_TIMEOUT_MS) too: 4 s + 0.5 s
  // keeps a SIGKILL during the stage within 10 s of completion (bench/pipeline, kill section).
  download: {
    startToCloseTimeout: '90s',
    // A dead worker is noticed after this; a live attempt heartbeats on its own (src/activities/attempt-heartbeat.ts).
    heartbeatTimeout: '4s',
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
  },
  // Image AI providers are slow and rate-limited: longer attempts, patient backoff. The heartbeat
  // timeout sets what open provider calls cost (the SDK sends the server one heartbeat per call per
  // 0.8 x timeout) against how soon a killed worker's call is retried (after the timeout) and a
  // cancel reaches a call (within 0.8 x timeout): 30 s keeps 1,000 open calls within 20 % of a core
  // on the dev server, 15 s did not (docs/heartbeat-tradeoff.md). The first retry comes quickly, so
  // a killed worker's call runs again about a second after the server notices; a factor of 3 keeps
  // a minute of patience with a failing provider (0.5 + 1.5 + 4.5 + 13.5 + 40.5 s); a 429's
  // Retry-After replaces the backoff anyway.
  refine: {
    startToCloseTimeout: '5m',
    heartbeatTimeout: '30s',
    initialInterval: '500ms',
    backoffCoefficient: 3,
    maximumInterval: '1m',
    maximumAttempts: 6,
  },
  // Our own store: once the refinement is paid for, keep trying for a long while rather than lose it.
  storeImage: {
    startToCloseTimeout: '1m',
    heartbeatTimeout: '10s',
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 50,
  },
  // A regular activity between local ones: its heartbeat timeout is how long a dead worker goes
  // unnoticed, so it is short (the stage takes milliseconds), and the first retry quick (as download's).
  storeConcept: {
    startToCloseTimeout: '30s',
    heartbeatTimeout: '4s',
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 50,
  },
  // Removing the run's blobs: quick, but a lost attempt must be noticed within a heartbeat timeout,
  // not after a minute with the refinement's row and image already there; retried for long, since
  // what it leaves behind is never removed otherwise.
  cleanup: {
    startToCloseTimeout: '1m',
    heartbeatTimeout: '10s',
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 50,
  },
};

export function resolveStagePolicies(overrides: StagePolicyOverrides = {}): Record<PolicyName, StagePolicy> {
  const resolved = { ...DEFAULT_STAGE_POLICIES };
  for (const name of POLICY_NAMES) resolved[name] = { ...DEFAULT_STAGE_POLICIES[name], ...overrides[name] };
  return resolved;
}
