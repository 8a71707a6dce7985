/**
 * A database-backed store that does not need the database to be up when the process starts: it is
 * opened (connected and migrated) in the background, retrying with backoff until it can, and
 * meanwhile every call fails with the retryable StorageUnavailableError, so the stages that need it
 * retry on their own policies while everything else goes on. A worker started during a database
 * outage thereby serves downloads, refinements and image storage instead of exiting with
 * ECONNREFUSED. One wrapper for every store (concepts, webhooks), since each is "an object of async
 * methods plus close()".
 */
import type { Logger } from 'pino';
import { StorageUnavailableError, describeError } from '../../errors';

export interface LazilyOpenedOptions<T> {
  /** Names the store in messages, e.g. "concept store". */
  name: string;
  /** Opens (connects and migrates) the real store; called again after each failure. */
  open: () => Promise<T>;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Backoff between attempts to open: doubles from `initialDelayMs` up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export type LazilyOpened<T> = T & {
  /** Resolves once the store is open (or was closed first). */
  whenOpen(): Promise<void>;
};

export function lazilyOpened<T extends { close(): Promise<void> }>(options: LazilyOpenedOptions<T>): LazilyOpened<T> {
  let store: T | undefined;
  let lastError: unknown = new Error('not connected yet');
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const opening = (async () => {
    let delay = options.initialDelayMs ?? 500;
    for (let attempt = 1; !closed; attempt++) {
      try {
        const opened = await options.open();
        if (closed) return void (await opened.close());
        store = opened;
        if (attempt > 1) options.logger.info({ attempt }, `${options.name} connected and migrated`);
        return;
      } catch (err) {
        lastError = err;
        options.logger.warn({ err, attempt, retryInMs: delay }, `${options.name} unavailable; retrying in the background`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, options.maxDelayMs ?? 10_000);
    }
  })();

  const close = async () => {
    closed = true;
    clearTimeout(timer);
    wake?.();
    await opening;
    await store?.close();
  };
  return new Proxy({} as LazilyOpened<T>, {
    get(_target, property) {
      if (property === 'close') return close;
      if (property === 'whenOpen') return () => opening;
      if (property === 'then') return undefined; // not a thenable: `await` must not call into the store
      return async (...args: unknown[]) => {
        if (!store) {
          throw new StorageUnavailableError(`the ${options.name} is not connected yet: ${describeError(lastError)}`, { cause: lastError });
        }
        return (store[property as keyof T] as (...a: unknown[]) => unknown).apply(store, args);
      };
    },
  });
}
