/** What the API answers: the workflow's progress and the stored concept, with freshly signed image URLs. */
import type { RefinedConcept } from '../../adapters/concept-store/concept-store';
import type { ImageStore } from '../../adapters/image-store/image-store';
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
    /** Turns stored paths back into store keys. */
    private readonly imageStore: Pick<ImageStore, 'keyOfPath'>,
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
      originalImageUrl: concept.originalImageUrl,
      imageUrl: signed.url,
      imageUrlExpiresAt: signed.expiresAt.toISOString(),
      colorPalettes: concept.colorPalettes,
      isAnonymous: concept.isAnonymous,
      createdAt: concept.createdAt.toISOString(),
    };
  }

  /**
   * The stored URL is unsigned (and its base may be some other deployment's); the store key is what
   * gets signed. Found from the stored file path, or failing that from the URL under the public base.
   */
  private signedImageUrl(imagePath: string, imageUrl: string) {
    let key = this.imageStore.keyOfPath(imagePath);
    if (!key && imageUrl.startsWith(this.publicBaseUrl + '/')) key = decodeURI(imageUrl.slice(this.publicBaseUrl.length + 1));
    if (!key) return { url: imageUrl, expiresAt: new Date(8.64e15) };
    return this.signer.sign(key);
  }
}
