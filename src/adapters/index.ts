/**
 * Builds the adapters the configuration asks for (the image store, the concept store, the concept
 * service, the webhook store, the guarded download), each measured by its decorator from
 * src/observability/instrumented-adapters.ts.
 */
import type { Logger } from 'pino';
import type { ConceptProviderConfig, Config } from '../config';
import type { ConceptService } from './concept-service/concept-service';
import { FalQueueProvider } from './concept-service/fal-queue-provider';
import { GeminiProvider } from './concept-service/gemini-provider';
import { JigsawStackProvider } from './concept-service/jigsawstack-provider';
import { LocalRefiner } from './concept-service/local-refiner';
import { OpenAiImagesProvider } from './concept-service/openai-images-provider';
import type { ProviderHttpSettings } from './concept-service/provider-http';
import { ReplicateProvider } from './concept-service/replicate-provider';
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
import { openUserDataStore } from './user-data/knex-user-data-store';
import type { UserDataStore } from './user-data/user-data-store';

export interface Adapters {
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  conceptService: ConceptService;
  webhookStore: WebhookStore;
  /** Every row of one user across the stores, for erasure (docs/erasure.md). */
  userData: UserDataStore;
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
  // Connects on first use: nothing to wait for at start.
  const userData = await openUserDataStore(config.database, { log: knexLogger(logger) });
  return {
    imageStore,
    conceptStore,
    conceptService: instrumentConceptService(createConceptService(config)),
    webhookStore,
    userData,
    downloadToFile: instrumentDownload(safeDownloadToFile),
    close: async () => {
      await Promise.all([conceptStore.close(), imageStore.close(), webhookStore.close(), userData.close()]);
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
  // TypeScript cannot tie the looked-up entry to the union member; the table's type ties each entry to its kind.
  const build = CONCEPT_SERVICES[provider.kind] as (settings: typeof provider, http: ProviderHttpSettings, maxPixels: number) => ConceptService;
  return build(provider, http, config.download.maxPixels);
}

type ProviderSettings<K extends ConceptProviderConfig['kind']> = Extract<ConceptProviderConfig, { kind: K }>;

/** One entry per CONCEPT_PROVIDER value: how its settings make the service. */
const CONCEPT_SERVICES: {
  [K in ConceptProviderConfig['kind']]: (settings: ProviderSettings<K>, http: ProviderHttpSettings, maxPixels: number) => ConceptService;
} = {
  local: (_settings, _http, maxPixels) => new LocalRefiner({ maxPixels }),
  gemini: ({ apiKey, baseUrl, model }, http) => new GeminiProvider({ apiKey, baseUrl, model, http }),
  fal: ({ apiKey, baseUrl, model, pollIntervalMs }, http) => new FalQueueProvider({ apiKey, baseUrl, model, pollIntervalMs, http }),
  replicate: ({ apiToken, baseUrl, model, imageInput, pollIntervalMs }, http) => new ReplicateProvider({ apiToken, baseUrl, model, imageInput, pollIntervalMs, http }),
  openai: ({ apiKey, baseUrl, model }, http) => new OpenAiImagesProvider({ apiKey, baseUrl, model, http }),
  jigsawstack: ({ apiKey, baseUrl }, http) => new JigsawStackProvider({ apiKey, baseUrl, http }),
};

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
