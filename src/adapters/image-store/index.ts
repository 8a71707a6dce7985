/** The image store seam: which store the configuration asks for, and waiting for it at start-up. */
import type { Logger } from 'pino';
import type { ImageStoreConfig } from '../../config';
import { StorageUnavailableError } from '../../errors';
import { waitUntilReachable, type WaitOptions } from '../../runtime/wait-until-reachable';
import { FilesystemImageStore } from './filesystem-image-store';
import type { ImageStore } from './image-store';
import { S3ImageStore } from './s3-image-store';

export function createImageStore(config: ImageStoreConfig): ImageStore {
  return config.kind === 's3' ? new S3ImageStore(config) : new FilesystemImageStore(config);
}

/**
 * Resolves once `verify()` passes. A store that is only unreachable is waited for, with backoff and a
 * log line per wait; a wrong setting (StorageMisconfiguredError, naming it) is thrown at once, since
 * waiting cannot fix it and the process should stop and say so.
 */
export async function waitForImageStore(store: ImageStore, logger: Logger, options: WaitOptions = {}): Promise<void> {
  await waitUntilReachable(
    { name: 'image store', attempt: () => store.verify(), unreachable: (err) => err instanceof StorageUnavailableError },
    logger,
    options,
  );
}
