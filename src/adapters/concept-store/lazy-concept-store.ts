/**
 * A ConceptStore that does not need the database to be up when the process starts: it connects and
 * migrates in the background, retrying with backoff until it can, and meanwhile every call fails with
 * the retryable StorageUnavailableError, so the store-concept stage retries on its own policy while
 * the other stages (which need no database) go on. A worker started during a database outage thereby
 * serves downloads, refinements and image storage instead of exiting with ECONNREFUSED.
 */
import type { Logger } from 'pino';
import { StorageUnavailableError, describeError } from '../../errors';
import type { ConceptStore, RefinedConcept, RefinedConceptInput } from './concept-store';

export interface LazyConceptStoreOptions {
  /** Opens (connects and migrates) the real store; called again after each failure. */
  open: () => Promise<ConceptStore>;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Backoff between attempts to open: doubles from `initialDelayMs` up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class LazyConceptStore implements ConceptStore {
  private store?: ConceptStore;
  private lastError: unknown = new Error('not connected yet');
  private closed = false;
  private timer?: NodeJS.Timeout;
  private readonly opening: Promise<void>;

  constructor(private readonly options: LazyConceptStoreOptions) {
    this.opening = this.keepOpening();
  }

  /** Resolves once the store is open (or the store was closed first). */
  whenOpen(): Promise<void> {
    return this.opening;
  }

  storeConcept(concept: RefinedConceptInput): Promise<{ id: string; created: boolean }> {
    return this.ready().storeConcept(concept);
  }

  findById(id: string): Promise<RefinedConcept | undefined> {
    return this.ready().findById(id);
  }

  findByTaskId(taskId: string): Promise<RefinedConcept | undefined> {
    return this.ready().findByTaskId(taskId);
  }

  countByTaskId(taskId: string): Promise<number> {
    return this.ready().countByTaskId(taskId);
  }

  async ping(): Promise<void> {
    await this.ready().ping();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.opening;
    await this.store?.close();
  }

  private ready(): ConceptStore {
    if (this.store) return this.store;
    throw new StorageUnavailableError(`the concept store is not connected yet: ${describeError(this.lastError)}`, { cause: this.lastError });
  }

  private wake?: () => void;

  private async keepOpening(): Promise<void> {
    let delay = this.options.initialDelayMs ?? 500;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const store = await this.options.open();
        if (this.closed) {
          await store.close();
          return;
        }
        this.store = store;
        if (attempt > 1) this.options.logger.info({ attempt }, 'concept store connected and migrated');
        return;
      } catch (err) {
        this.lastError = err;
        this.options.logger.warn({ err, attempt, retryInMs: delay }, 'concept store unavailable; retrying in the background');
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, this.options.maxDelayMs ?? 10_000);
    }
  }
}
