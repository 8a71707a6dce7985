/** The seed's "Refined Concept Data Structure", as the pipeline hands it to the store. */
import type { RefinementOutcome } from '../../workflows/types';

export interface RefinedConceptInput {
  taskId: string;
  userId: string;
  logoDescription: string;
  /** Already combined with the refinement prompt (see combineThemeDescription). */
  themeDescription: string;
  imagePath: string;
  imageUrl: string;
  colorPalettes: unknown[];
  isAnonymous: boolean;
  refinementPrompt: string;
  originalImageUrl: string;
  /** Set when this refinement started from a stored concept (`POST /v1/concepts/{id}/refinements`). */
  parentConceptId?: string;
  /** What the refiner applied and what it did not; null for concepts stored before outcomes were kept. */
  outcome?: RefinementOutcome | null;
}

export interface RefinedConcept extends Omit<RefinedConceptInput, 'parentConceptId' | 'outcome'> {
  id: string;
  createdAt: Date;
  parentConceptId: string | null;
  /** The first concept of the lineage; a concept refined from a URL or an upload is its own root. */
  rootConceptId: string;
  /** The parent was deleted after this concept was made (parentConceptId still names it). */
  parentDeleted: boolean;
  outcome: RefinementOutcome | null;
}

export interface ConceptPage {
  items: RefinedConcept[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface ConceptListQuery {
  /** Only concepts of this lineage. */
  rootConceptId?: string;
  cursor?: string;
  limit: number;
}

/** A cursor that this store did not hand out. */
export class InvalidConceptCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
    this.name = 'InvalidConceptCursorError';
  }
}

export interface ConceptStore {
  /** Inserts once per task id: a repeated call returns the existing id with `created: false`. */
  storeConcept(concept: RefinedConceptInput): Promise<{ id: string; created: boolean }>;
  findById(id: string): Promise<RefinedConcept | undefined>;
  findByTaskId(taskId: string): Promise<RefinedConcept | undefined>;
  countByTaskId(taskId: string): Promise<number>;
  /** A user's concepts, newest first. Throws InvalidConceptCursorError for a cursor it did not make. */
  listByUser(userId: string, query: ConceptListQuery): Promise<ConceptPage>;
  /** Direct children, oldest first. */
  findChildren(parentId: string): Promise<RefinedConcept[]>;
  /**
   * Removes the row and marks its children `parentDeleted` (they keep their own rows and images), in
   * one transaction. Returns false when there was no such row.
   */
  deleteConcept(id: string): Promise<boolean>;
  /** Readiness probe: resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The seed: the stored theme description is the original one combined with the refinement prompt. */
export function combineThemeDescription(themeDescription: string, refinementPrompt: string): string {
  return `${themeDescription.trim()}${refinedSuffix(refinementPrompt)}`;
}

/**
 * The theme as the person wrote it, out of the stored (combined) one: what the API shows and what
 * refining the concept again starts from, so the theme does not grow by a "(refined: …)" each time.
 * A theme stored otherwise is returned as it is.
 */
export function themeAsWritten(concept: Pick<RefinedConcept, 'themeDescription' | 'refinementPrompt'>): string {
  const suffix = refinedSuffix(concept.refinementPrompt);
  const stored = concept.themeDescription;
  return stored.endsWith(suffix) && stored.length > suffix.length ? stored.slice(0, -suffix.length) : stored;
}

function refinedSuffix(refinementPrompt: string): string {
  return ` (refined: ${refinementPrompt.trim()})`;
}
