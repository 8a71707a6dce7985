/**
 * What queue providers (fal.ai's queue, Replicate's predictions) share once they accepted the work:
 * polling it until it is done, telling the run's progress where it waits, and cancelling it at the
 * provider when the refinement is given up. Submitting, the shape of a status and the result stay in
 * each provider's file; this only drives the loop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidProviderResponseError } from '../../errors';
import type { ProviderWaiting } from '../../workflows/types';
import type { ProviderCheckpoint, RefineRequest } from './concept-service';

/** One look at the work: done with a value, or still waiting (in the queue or being worked on). */
export type PollOutcome<T> = { done: true; value: T } | { done: false; waiting: ProviderWaiting };

export interface QueuedWork<T> {
  /** Throws typed errors: a failed request, a broken answer, an unreachable provider. */
  poll(signal: AbortSignal): Promise<PollOutcome<T>>;
  /** Asks the provider to drop the work; `signal` bounds the call (the attempt's own is aborted by then). */
  cancel(signal: AbortSignal): Promise<void>;
}

export interface WaitOptions {
  /** Pause between polls. */
  intervalMs: number;
  /** The attempt's signal (RefineRequest.signal). */
  signal: AbortSignal;
  /** Told when the place in the queue or the provider's status changes, not on every poll. */
  reportWaiting(waiting: ProviderWaiting): void;
  /** Bound on the cancel call made after an abort. */
  cancelTimeoutMs?: number;
}

const DEFAULT_CANCEL_TIMEOUT_MS = 5_000;

/**
 * Polls until the work is done and returns its value. An abort of the attempt that gives the
 * refinement up asks the provider to cancel (best effort, bounded) and is rethrown as its reason; an
 * abort that ends only this attempt leaves the work running for the next attempt to resume.
 */
export async function waitForQueuedWork<T>(work: QueuedWork<T>, options: WaitOptions): Promise<T> {
  const { signal } = options;
  let reported: string | undefined;
  try {
    for (;;) {
      signal.throwIfAborted();
      const outcome = await work.poll(signal);
      if (outcome.done) return outcome.value;
      const key = `${outcome.waiting.queuePosition}/${outcome.waiting.providerStatus}`;
      if (key !== reported) {
        reported = key;
        options.reportWaiting(outcome.waiting);
      }
      await sleep(options.intervalMs, undefined, { signal });
    }
  } catch (err) {
    if (!signal.aborted) throw err;
    if (abortGivesUpWork(signal.reason)) {
      await work.cancel(AbortSignal.timeout(options.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS)).catch(() => undefined);
    }
    throw signal.reason;
  }
}

/** A queue provider's request, from submitting it (or taking up an earlier attempt's) to its result. */
export interface QueuedRequest<C extends ProviderCheckpoint> {
  /** The earlier attempt's request, when there is one to resume (then nothing is submitted). */
  resumed: C | undefined;
  submit(): Promise<C>;
  poll(accepted: C, signal: AbortSignal): Promise<PollOutcome<string>>;
  cancel(accepted: C, signal: AbortSignal): Promise<void>;
}

/**
 * Submits the work once (or resumes the earlier attempt's), records the checkpoint before the first
 * poll (from then on a new attempt resumes instead of paying again), then waits for the result's URL.
 */
export async function runQueuedRequest<C extends ProviderCheckpoint>(request: RefineRequest, queued: QueuedRequest<C>, intervalMs: number): Promise<string> {
  const accepted = queued.resumed ?? (await queued.submit());
  if (!queued.resumed) request.checkpoint(accepted);
  return waitForQueuedWork(
    { poll: (signal) => queued.poll(accepted, signal), cancel: (signal) => queued.cancel(accepted, signal) },
    { intervalMs, signal: request.signal, reportWaiting: (w) => request.reportWaiting(w) },
  );
}

/**
 * Aborts that end only this attempt, by the Temporal SDK's cancellation reasons (the message of the
 * CancelledFailure it aborts with): the worker shutting down, the attempt timing out, the activity
 * paused. The attempt's checkpoint is in its heartbeat details, so the next attempt resumes the
 * provider's work; cancelling it would throw away what is paid for. Every other abort (the
 * refinement cancelled, the run gone) gives the work up.
 */
const ATTEMPT_ONLY_REASONS = new Set(['WORKER_SHUTDOWN', 'TIMED_OUT', 'PAUSED']);

export function abortGivesUpWork(reason: unknown): boolean {
  const message = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return !ATTEMPT_ONLY_REASONS.has(message);
}

/**
 * Accepts a URL from a provider's answer (status, result, cancel) only on the origin we call it on:
 * the API key goes with every poll, so a URL elsewhere would hand the key to another host.
 */
export function providerApiUrl(provider: string, baseUrl: string, value: unknown, what: string): string {
  if (isOnApiOrigin(value, baseUrl)) return new URL(value).href;
  throw new InvalidProviderResponseError(`${provider} answered with a ${what} that is not on its API's origin`);
}

/** The same check for a checkpoint an earlier attempt recorded (the configured API may have changed since). */
export function isOnApiOrigin(value: unknown, baseUrl: string): value is string {
  return typeof value === 'string' && URL.canParse(value) && new URL(value).origin === new URL(baseUrl).origin;
}

/**
 * The original as a data URI: queue providers take input images only by URL, and an original has
 * no public URL (an upload lives in our private store, a user's URL may be reachable only from
 * here), so the image travels inside the request.
 */
export function dataUri(contentType: string, data: Buffer): string {
  return `data:${contentType};base64,${data.toString('base64')}`;
}
