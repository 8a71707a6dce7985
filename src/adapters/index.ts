/**
 * Builds the adapters the configuration asks for (the image store, the concept store, the concept
 * service, the webhook store, the guarded download), each measured by its decorator from
 * src/observability/instrumented-adapters.ts.
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { ConceptService } from './concept-service/concept-service';
import { JigsawStackProvider } from './concept-service/jigsawstack-provider';
import { LocalRefiner } from './concept-service/local-refiner';
import { OpenAiImagesProvider } from './concept-service/openai-images-provider';
import type { ProviderHttpSettings } from './concept-service/provider-http';
import type { ConceptStore } from './concept-store/concept-store';
import { openConceptStore } from './concept-store/knex-concept-store';
import { lazilyOpened } from './database/lazily-opened';
import type { ImageStore } from './image-store/image-store';
import { safeDownloadToFile, type DownloadToFile } from './http/safe-download';
import {
  instrumentConceptService,
  instrumentConceptStore,
  instrumentDownload,
  instrumentImageStore,
} from '../observability/instrumented-adapters';
import { createImageStore } from './image-store';
import { openWebhookStore } from './webhook-store/knex-webhook-store';
import type { WebhookStore } from './webhook-store/webhook-store';

export interface Adapters {
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  conceptService: ConceptService;
  webhookStore: WebhookStore;
  /** The guarded download of untrusted URLs into a file (originals, provider-hosted results). */
  downloadToFile: DownloadToFile;
  close(): Promise<void>;
}

export async function openAdapters(config: Pick<Config, 'imageStore' | 'database' | 'webhooks' | 'conceptProvider' | 'provider' | 'download'>, logger: Logger): Promise<Adapters> {
  // Every store operation is timed, counted and traced; provider calls and downloads are measured.
  const imageStore = instrumentImageStore(createImageStore(config.imageStore));
  // Connected and migrated in the background: a process started while the database is down still
  // serves everything that does not need it (see database/lazily-opened.ts).
  const conceptStore = instrumentConceptStore(
    lazilyOpened({
      name: 'concept store',
      open: () => openConceptStore(config.database, { log: knexLogger(logger) }),
      logger: logger.child({ component: 'concept-store' }),
    }),
    config.database.kind === 'postgres' ? 'postgresql' : 'sqlite',
  );
  const webhookStore = lazilyOpened({
    name: 'webhook store',
    open: () => openWebhookStore(config.database, config.webhooks.secretKey, { log: knexLogger(logger) }),
    logger: logger.child({ component: 'webhook-store' }),
  });
  return {
    imageStore,
    conceptStore,
    conceptService: instrumentConceptService(createConceptService(config)),
    webhookStore,
    downloadToFile: instrumentDownload(safeDownloadToFile),
    close: async () => {
      await Promise.all([conceptStore.close(), imageStore.close(), webhookStore.close()]);
    },
  };
}

export function createConceptService(config: Pick<Config, 'conceptProvider' | 'provider' | 'download'>): ConceptService {
  const provider = config.conceptProvider;
  const http: ProviderHttpSettings = {
    connectTimeoutMs: config.provider.connectTimeoutMs,
    headersTimeoutMs: config.provider.headersTimeoutMs,
    timeoutMs: config.provider.timeoutMs,
    maxResponseBytes: config.provider.maxResponseBytes,
    maxPixels: config.download.maxPixels,
  };
  switch (provider.kind) {
    case 'local':
      return new LocalRefiner({ maxPixels: config.download.maxPixels });
    case 'jigsawstack':
      return new JigsawStackProvider({ apiKey: provider.apiKey, baseUrl: provider.baseUrl, http });
    case 'openai':
      return new OpenAiImagesProvider({ apiKey: provider.apiKey, baseUrl: provider.baseUrl, model: provider.model, http });
  }
}

/** knex logs through its own console calls; route them into the structured log instead. */
function knexLogger(logger: Logger) {
  const log = logger.child({ component: 'knex' });
  return {
    warn: (message: unknown) => log.warn({ detail: message }, 'knex warning'),
    error: (message: unknown) => log.error({ detail: message }, 'knex error'),
    debug: (message: unknown) => log.debug({ detail: message }, 'knex debug'),
    deprecate: (method: string, alternative: string) => log.warn({ method, alternative }, 'knex deprecation'),
  };
}
