/**
 * How a process waits at start-up for a dependency that is only unreachable (the image store,
 * Temporal): one loop with backoff and one log line per wait, saying what is waited for, where, why,
 * and when the next try is. Anything that is not "unreachable" (a wrong setting, refused
 * credentials) is thrown at once: waiting cannot fix it, and the process should stop and say so.
 */
import type { Logger } from 'pino';
import { describeError } from '../errors';

export interface WaitOptions {
  /** First wait; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
}

export interface Dependency<T> {
  /** Names it in the log lines, e.g. "image store", "Temporal". */
  name: string;
  /** Its address, when there is one to show (never a credential). */
  where?: string;
  /** One attempt: resolves once the dependency answers. */
  attempt: () => Promise<T>;
  /** True when the failure means "not reachable now", the one case worth waiting for. */
  unreachable: (err: unknown) => boolean;
  /** Called with each failure waited for (e.g. so a health endpoint can name it). */
  onWait?: (err: unknown) => void;
}

export async function waitUntilReachable<T>(dependency: Dependency<T>, logger: Pick<Logger, 'info' | 'warn'>, options: WaitOptions = {}): Promise<T> {
  const { name, where } = dependency;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  let delayMs = options.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await dependency.attempt();
      if (attempt > 1) logger.info({ attempt, where }, `${name} reachable`);
      return result;
    } catch (err) {
      if (!dependency.unreachable(err)) throw err;
      dependency.onWait?.(err);
      const nextTryAt = new Date(Date.now() + delayMs).toISOString();
      logger.warn({ attempt, where, retryInMs: delayMs, nextTryAt, reason: describeError(err) }, `${name} unreachable; waiting for it`);
      await new Promise<void>((resolve, reject) => {
        const signal = options.signal;
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal!.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, delayMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}
