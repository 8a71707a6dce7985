/**
 * Transient faults at the adapter seams: the first N calls of an adapter method fail the way the real
 * dependency fails when it is briefly unavailable, then calls go through to the real adapter.
 */
import type { Adapters } from '../../src/adapters';
import { ProviderUnavailableError, StorageUnavailableError } from '../../src/errors';

export interface FaultPlan {
  /** ConceptService.refine */
  refine?: number;
  /** ImageStore.put or copy of a published (not staged) image */
  publish?: number;
  /** ConceptStore.storeConcept */
  storeConcept?: number;
}

export function injectFaults(adapters: Adapters, plan: FaultPlan): Adapters {
  const left = { ...plan };
  const failing = (which: keyof FaultPlan, error: () => Error) => {
    if ((left[which] ?? 0) > 0) {
      left[which]! -= 1;
      throw error();
    }
  };
  const { imageStore, conceptStore, conceptService } = adapters;
  return {
    ...adapters,
    conceptService: {
      name: conceptService.name,
      capabilities: () => conceptService.capabilities(),
      prepare: async () => conceptService.prepare?.(),
      refine: async (request) => {
        failing('refine', () => new ProviderUnavailableError('concept service answered 503 (injected)'));
        return conceptService.refine(request);
      },
    },
    imageStore: Object.assign(Object.create(imageStore), {
      put: async (key: string, data: Buffer, options: Parameters<typeof imageStore.put>[2]) => {
        if (key.startsWith('refined/')) failing('publish', () => new StorageUnavailableError('image store unavailable (injected)'));
        return imageStore.put(key, data, options);
      },
      copy: async (from: string, to: string, options: Parameters<typeof imageStore.copy>[2]) => {
        if (to.startsWith('refined/')) failing('publish', () => new StorageUnavailableError('image store unavailable (injected)'));
        return imageStore.copy(from, to, options);
      },
    }),
    conceptStore: Object.assign(Object.create(conceptStore), {
      storeConcept: async (concept: Parameters<typeof conceptStore.storeConcept>[0]) => {
        failing('storeConcept', () => new StorageUnavailableError('database unavailable (injected)'));
        return conceptStore.storeConcept(concept);
      },
    }),
  };
}
