/** What the API answers: the workflow's progress and the stored concept, with freshly signed image URLs. */
import path from 'node:path';
import type { RefinedConcept } from '../../adapters/concept-store/concept-store';
import { uploadKey } from '../../activities/blob-keys';
import { uploadReference } from '../../workflows/input-validation';
import type { RefinementProgress } from '../../workflows/types';
import type { OwnershipRow } from './ownership';
import type { RefinementView } from './schemas';
import type { UrlSigner } from './signed-urls';

export function refinementLinks(taskId: string, conceptId?: string | null) {
  const self = `/v1/refinements/${encodeURIComponent(taskId)}`;
  return {
    self,
    events: `${self}/events`,
    cancel: `${self}/cancel`,
    ...(conceptId ? { concept: `/v1/concepts/${encodeURIComponent(conceptId)}` } : {}),
  };
}

export class Views {
  constructor(
    private readonly signer: UrlSigner,
    /** The image store's root: stored paths are turned back into store keys relative to it. */
    private readonly imageStoreRoot: string,
    private readonly publicBaseUrl: string,
  ) {}

  refinement(progress: RefinementProgress): RefinementView {
    const result = progress.result;
    return {
      taskId: progress.taskId,
      status: progress.status,
      currentStage: progress.currentStage,
      finishedStages: progress.finishedStages,
      attempt: progress.attempt,
      lastFailure: progress.lastFailure,
      startedAt: progress.startedAt,
      stageStartedAt: progress.stageStartedAt,
      stageTimes: progress.stageTimes,
      updatedAt: progress.updatedAt,
      finishedAt: progress.finishedAt,
      cancellation: progress.cancellation,
      conceptId: result?.conceptId ?? null,
      imageUrl: result ? this.signedImageUrl(result.imagePath, result.imageUrl).url : null,
      links: refinementLinks(progress.taskId, result?.conceptId),
    };
  }

  summary(row: OwnershipRow) {
    return {
      taskId: row.task_id,
      status: row.status,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
      links: refinementLinks(row.task_id),
    };
  }

  concept(concept: RefinedConcept) {
    const signed = this.signedImageUrl(concept.imagePath, concept.imageUrl);
    return {
      id: concept.id,
      taskId: concept.taskId,
      logoDescription: concept.logoDescription,
      themeDescription: concept.themeDescription,
      refinementPrompt: concept.refinementPrompt,
      originalImageUrl: this.originalImageUrl(concept.taskId, concept.originalImageUrl),
      imageUrl: signed.url,
      imageUrlExpiresAt: signed.expiresAt.toISOString(),
      colorPalettes: concept.colorPalettes,
      isAnonymous: concept.isAnonymous,
      createdAt: concept.createdAt.toISOString(),
    };
  }

  /** An uploaded original is stored as a reference (not a credential); its owner gets a fresh signed link. */
  private originalImageUrl(taskId: string, stored: string): string {
    return stored === uploadReference(taskId) ? this.signer.sign(uploadKey(taskId)).url : stored;
  }

  /**
   * The stored URL is unsigned (and its base may be some other deployment's); the store key is what
   * gets signed. Found from the stored file path, or failing that from the URL under the public base.
   */
  private signedImageUrl(imagePath: string, imageUrl: string) {
    const relative = path.relative(this.imageStoreRoot, imagePath);
    let key = !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : undefined;
    if (!key && imageUrl.startsWith(this.publicBaseUrl + '/')) key = decodeURI(imageUrl.slice(this.publicBaseUrl.length + 1));
    if (!key) return { url: imageUrl, expiresAt: new Date(8.64e15) };
    return this.signer.sign(key);
  }
}
