/** The image store seam: which store the configuration asks for, and waiting for it at start-up. */
import type { Logger } from 'pino';
import type { ImageStoreConfig } from '../../config';
import { StorageUnavailableError } from '../../errors';
import { FilesystemImageStore } from './filesystem-image-store';
import type { ImageStore } from './image-store';
import { S3ImageStore } from './s3-image-store';

export function createImageStore(config: ImageStoreConfig): ImageStore {
  return config.kind === 's3' ? new S3ImageStore(config) : new FilesystemImageStore(config);
}

export interface WaitOptions {
  /** First wait; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolves once `verify()` passes. A store that is only unreachable is waited for, with backoff and a
 * log line per wait; a wrong setting (StorageMisconfiguredError, naming it) is thrown at once, since
 * waiting cannot fix it and the process should stop and say so.
 */
export async function waitForImageStore(store: ImageStore, logger: Logger, options: WaitOptions = {}): Promise<void> {
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  let delayMs = options.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.verify();
      if (attempt > 1) logger.info({ attempt }, 'image store reachable');
      return;
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      logger.warn({ attempt, retryInMs: delayMs, reason: err.message }, 'image store unreachable; waiting for it');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delayMs);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(options.signal!.reason);
        }, { once: true });
      });
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}
