/**
 * The one heartbeat of a stage attempt: a timer that tells the SDK "still alive" while the attempt
 * runs, and the details a retry resumes from, sent at once when they change.
 *
 * Why a timer and nothing else: the Core SDK sends the server at most one heartbeat per 0.8 x the
 * heartbeat timeout whatever we call (it keeps the latest details and sends them when the throttle
 * ends), so calling more often buys nothing server-side; every call still costs the worker its way
 * into the SDK (RxJS, payload conversion, a native call). One call per half timeout keeps a call
 * pending whenever the throttle ends (the server hears from the attempt every 0.8 x timeout, as
 * before); a timer may run 0.3 x timeout late before that slips, and the attempt times out only if
 * it runs half a timeout late. Progress callbacks (a provider waiting, chunks arriving) need not
 * heartbeat at all. A cancel arrives in a heartbeat's answer, so it reaches the attempt
 * within that same 0.8 x timeout. The timer lives exactly as long as the attempt: a hung provider
 * call counts as alive only while its attempt does, and a killed worker stops heartbeating.
 */
import type { Context } from '@temporalio/activity';

/**
 * Calls into the SDK per heartbeat timeout; the SDK's throttle needs one per 0.8 x timeout. Two is
 * the fewest that keeps the server's cadence with room for a late timer; each call costs worker CPU
 * when many calls are open (docs/heartbeat-tradeoff.md has the measurement).
 */
export const HEARTBEATS_PER_TIMEOUT = 2;
/** Without a heartbeat timeout the SDK throttles to 30 s; heartbeats then only fetch cancels. */
const WITHOUT_TIMEOUT_MS = 10_000;
/** A floor for very short timeouts (tests use 2 s), so a timer never spins. */
const MIN_INTERVAL_MS = 100;

export function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs) return WITHOUT_TIMEOUT_MS;
  return Math.max(MIN_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / HEARTBEATS_PER_TIMEOUT));
}

export class AttemptHeartbeat {
  private details: unknown;
  private readonly timer: NodeJS.Timeout | undefined;

  /**
   * Starts beating; `stop()` must follow when the attempt ends, however it ends. A local activity
   * does not beat at all: it has no heartbeat, its workflow task is what the server watches.
   */
  constructor(private readonly activity: Context) {
    // Each heartbeat replaces the recorded details: send the earlier attempt's on, until replaced.
    this.details = activity.info.heartbeatDetails;
    if (!activity.info.isLocal) this.timer = setInterval(() => this.send(), heartbeatIntervalMs(activity.info.heartbeatTimeoutMs));
  }

  /** Tells the server now that the attempt is alive, so only a lost attempt waits out the timeout. */
  now(): void {
    this.send();
  }

  /** Records details that every later heartbeat carries, and sends them now: a retry resumes from them. */
  keep(details: unknown): void {
    this.details = details;
    this.send();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private send(): void {
    if (!this.activity.info.isLocal) this.activity.heartbeat(this.details);
  }
}
