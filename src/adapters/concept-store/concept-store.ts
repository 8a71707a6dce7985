/** The seed's "Refined Concept Data Structure", as the pipeline hands it to the store. */
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
}

export interface RefinedConcept extends RefinedConceptInput {
  id: string;
  createdAt: Date;
}

export interface ConceptStore {
  /** Inserts once per task id: a repeated call returns the existing id with `created: false`. */
  storeConcept(concept: RefinedConceptInput): Promise<{ id: string; created: boolean }>;
  findById(id: string): Promise<RefinedConcept | undefined>;
  findByTaskId(taskId: string): Promise<RefinedConcept | undefined>;
  countByTaskId(taskId: string): Promise<number>;
  /** Readiness probe: resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The seed: the stored theme description is the original one combined with the refinement prompt. */
export function combineThemeDescription(themeDescription: string, refinementPrompt: string): string {
  return `${themeDescription.trim()} (refined: ${refinementPrompt.trim()})`;
}
