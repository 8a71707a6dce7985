/** Builds the adapters the configuration asks for: the image store, the concept store, the concept service. */
import type { Config } from '../config';
import type { ConceptService } from './concept-service/concept-service';
import { LocalRefiner } from './concept-service/local-refiner';
import type { ConceptStore } from './concept-store/concept-store';
import { openConceptStore } from './concept-store/knex-concept-store';
import { FilesystemImageStore } from './image-store/filesystem-image-store';
import type { ImageStore } from './image-store/image-store';

export interface Adapters {
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  conceptService: ConceptService;
  close(): Promise<void>;
}

export async function openAdapters(config: Config): Promise<Adapters> {
  const imageStore = new FilesystemImageStore(config.imageStore);
  const conceptStore = await openConceptStore(config.database);
  return {
    imageStore,
    conceptStore,
    conceptService: createConceptService(config),
    close: () => conceptStore.close(),
  };
}

export function createConceptService(config: Config): ConceptService {
  switch (config.conceptProvider) {
    case 'local':
      return new LocalRefiner({ maxPixels: config.download.maxPixels });
  }
}
