/**
 * What the configured refiner understands, for GET /v1/limits: built by the same factory the worker
 * uses, so the gateway publishes the capabilities of the refiner that will really run. Building a
 * concept service opens no connection; only its `refine` talks to a provider.
 */
import { createConceptService } from '../adapters';
import type { RefinerCapabilities } from '../adapters/concept-service/concept-service';
import type { Config } from '../config';

export function capabilitiesOf(config: Pick<Config, 'conceptProvider' | 'provider' | 'download'>): RefinerCapabilities {
  return createConceptService(config).capabilities();
}
