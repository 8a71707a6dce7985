/** What the API answers: the workflow's progress and the stored concept, with freshly signed image URLs. */
import { themeAsWritten, type RefinedConcept } from '../adapters/concept-store/concept-store';
import type { ImageStore } from '../adapters/image-store/image-store';
import { uploadKey } from '../adapters/image-store/key-layout';
import { uploadReference } from '../workflows/input-validation';
import type { RefinementProgress, RefinementRequest } from '../workflows/types';
import type { RefinementView } from './routes/refinements.schemas';
import type { UrlSigner } from './signed-urls';
import type { OwnershipRow } from './stores/ownership';

export function refinementLinks(taskId: string, conceptId?: string | null) {
  const self = `/v1/refinements/${encodeURIComponent(taskId)}`;
  return {
    self,
    events: `${self}/events`,
    cancel: `${self}/cancel`,
    ...(conceptId ? { concept: `/v1/concepts/${encodeURIComponent(conceptId)}` } : {}),
  };
}

/** The request as the ownership row recorded it; null on rows older than these columns. */
function requestOf(row: OwnershipRow): Required<RefinementRequest> | null {
  if (row.refinement_prompt === null || row.logo_description === null || row.theme_description === null) return null;
  return {
    refinementPrompt: row.refinement_prompt,
    logoDescription: row.logo_description,
    themeDescription: row.theme_description,
    preserveAspects: row.preserve_aspects ? (JSON.parse(row.preserve_aspects) as string[]) : [],
  };
}

export class Views {
  constructor(
    private readonly signer: UrlSigner,
    /** Turns stored paths back into store keys. */
    private readonly imageStore: Pick<ImageStore, 'keyOfPath'>,
    private readonly publicBaseUrl: string,
    /** The configured refiner's name: the provider that holds queued work. */
    private readonly refinerName: string,
  ) {}

  /** `row` (the caller's ownership row) adds what was asked for and where the original is. */
  refinement(progress: RefinementProgress, row?: OwnershipRow): RefinementView {
    const result = progress.result;
    return {
      taskId: progress.taskId,
      status: progress.status,
      currentStage: progress.currentStage,
      finishedStages: progress.finishedStages,
      attempt: progress.attempt,
      lastFailure: progress.lastFailure,
      failureType: progress.failureType ?? null,
      startedAt: progress.startedAt,
      stageStartedAt: progress.stageStartedAt,
      stageTimes: progress.stageTimes,
      updatedAt: progress.updatedAt,
      finishedAt: progress.finishedAt,
      cancellation: progress.cancellation,
      conceptId: result?.conceptId ?? null,
      imageUrl: result ? this.signedImageUrl(result.imagePath, result.imageUrl).url : null,
      request: row ? requestOf(row) : null,
      original: row ? this.original(row) : null,
      notes: progress.notes ?? [],
      providerQueue: progress.providerQueue ? { provider: this.refinerName, ...progress.providerQueue } : null,
      // Progress from workers older than outcomes has none; a completed run's result may still carry it.
      outcome: progress.outcome ?? result?.outcome ?? null,
      links: refinementLinks(progress.taskId, result?.conceptId),
    };
  }

  /** `concept`: the refinement's stored concept, when it completed. */
  summary(row: OwnershipRow, concept?: RefinedConcept) {
    let thumbnailUrl: string | null = null;
    if (concept) thumbnailUrl = this.signedImageUrl(concept.imagePath, concept.imageUrl).url;
    else if (row.status === 'running' && row.uploaded) thumbnailUrl = this.signer.sign(uploadKey(row.task_id)).url;
    return {
      taskId: row.task_id,
      status: row.status,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
      refinementPrompt: row.refinement_prompt,
      conceptId: concept?.id ?? null,
      thumbnailUrl,
      links: refinementLinks(row.task_id, concept?.id),
    };
  }

  /**
   * The uploaded original stays in the store after a completed run (a failed or cancelled run removes
   * it, and then its link answers 404). A URL original is the caller's own URL, handed back as given.
   */
  private original(row: OwnershipRow): { url: string; uploaded: boolean } | null {
    if (row.uploaded) return { url: this.signer.sign(uploadKey(row.task_id)).url, uploaded: true };
    if (row.original_image_url) return { url: row.original_image_url, uploaded: false };
    return null;
  }

  concept(concept: RefinedConcept) {
    const signed = this.signedImageUrl(concept.imagePath, concept.imageUrl);
    return {
      id: concept.id,
      taskId: concept.taskId,
      logoDescription: concept.logoDescription,
      themeDescription: themeAsWritten(concept),
      storedThemeDescription: concept.themeDescription,
      refinementPrompt: concept.refinementPrompt,
      originalImageUrl: this.originalImageUrl(concept.taskId, concept.originalImageUrl),
      imageUrl: signed.url,
      imageUrlExpiresAt: signed.expiresAt.toISOString(),
      colorPalettes: concept.colorPalettes,
      isAnonymous: concept.isAnonymous,
      createdAt: concept.createdAt.toISOString(),
      outcome: concept.outcome,
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
    let key = this.imageStore.keyOfPath(imagePath);
    if (!key && imageUrl.startsWith(this.publicBaseUrl + '/')) key = decodeURI(imageUrl.slice(this.publicBaseUrl.length + 1));
    if (!key) return { url: imageUrl, expiresAt: new Date(8.64e15) };
    return this.signer.sign(key);
  }
}
