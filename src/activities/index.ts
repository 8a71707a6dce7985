/** The activities a worker registers, built from adapters. The workflow imports the type only. */
import type { Client } from '@temporalio/client';
import type { ConceptService } from '../adapters/concept-service/concept-service';
import type { ConceptStore } from '../adapters/concept-store/concept-store';
import type { DownloadLimits } from '../config';
import type { ImageStore } from '../adapters/image-store/image-store';
import type { DownloadToFile } from '../adapters/http/safe-download';
import type { WebhookHttpSettings } from '../adapters/http/webhook-sender';
import type { WebhookStore } from '../adapters/webhook-store/webhook-store';
import type { UserDataStore } from '../adapters/user-data/user-data-store';
import { createDeliverWebhook, createRecordWebhookGaveUp } from './deliver-webhook';
import { createDiscardArtifacts } from './discard-artifacts';
import { createDownloadOriginalImage } from './download-original-image';
import { createRecordErasureAudit } from './erase-user-audit';
import { createEraseUserImages } from './erase-user-images';
import { createEraseUserRefinements } from './erase-user-refinements';
import { createEraseUserRows } from './erase-user-rows';
import { createRefineConceptImage } from './refine-concept-image';
import { createRequestCancellation } from './request-cancellation';
import type { StageDeps } from './stage';
import { createStoreRefinedConcept } from './store-refined-concept';
import { createStoreRefinedImage } from './store-refined-image';

export interface ActivityDeps extends StageDeps {
  client: Client;
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  conceptService: ConceptService;
  download: DownloadLimits;
  downloadToFile: DownloadToFile;
  webhookStore: WebhookStore;
  webhookHttp: WebhookHttpSettings;
  userData: UserDataStore;
}

export function createActivities(deps: ActivityDeps) {
  return {
    downloadOriginalImage: createDownloadOriginalImage(deps),
    refineConceptImage: createRefineConceptImage(deps),
    storeRefinedImage: createStoreRefinedImage(deps),
    storeRefinedConcept: createStoreRefinedConcept(deps),
    discardArtifacts: createDiscardArtifacts(deps),
    requestCancellation: createRequestCancellation(deps),
    deliverWebhook: createDeliverWebhook(deps),
    recordWebhookGaveUp: createRecordWebhookGaveUp(deps),
    // Erasure of a user (the eraseUser workflow, docs/erasure.md).
    eraseUserRefinements: createEraseUserRefinements(deps),
    eraseUserImages: createEraseUserImages(deps),
    eraseUserRows: createEraseUserRows(deps),
    recordErasureAudit: createRecordErasureAudit(deps),
  };
}

export type RefineryActivities = ReturnType<typeof createActivities>;
