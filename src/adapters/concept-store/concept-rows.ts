/** How a refined concept is kept in a row: the row's shape on both databases, and the mapping both ways. */
import { ConceptValidationError } from '../../errors';
import type { RefinementOutcome } from '../../workflows/types';
import type { RefinedConcept, RefinedConceptInput } from './concept-store';

export interface RefinedConceptRow {
  id: string;
  task_id: string;
  user_id: string;
  logo_description: string;
  theme_description: string;
  image_path: string;
  image_url: string;
  /** Parsed by pg (json column); a JSON string from SQLite. */
  color_palettes: unknown;
  /** PostgreSQL boolean, SQLite 0/1. */
  is_anonymous: boolean | number;
  refinement_prompt: string;
  original_image_url: string;
  /** Date from pg; an ISO-8601 UTC string from SQLite. */
  created_at: Date | string | number;
  parent_concept_id: string | null;
  root_concept_id: string | null;
  /** PostgreSQL boolean, SQLite 0/1. */
  parent_deleted: boolean | number;
  /** JSON text of the refinement's outcome; null before outcomes were kept. */
  outcome: string | null;
}

/** Concept ids are UUIDs; anything else names no row. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** created_at is left to the column default. */
export function toRow(id: string, concept: RefinedConceptInput): Omit<RefinedConceptRow, 'created_at' | 'parent_concept_id' | 'root_concept_id' | 'parent_deleted'> {
  assertValidConcept(concept);
  return {
    id,
    task_id: concept.taskId,
    user_id: concept.userId,
    logo_description: concept.logoDescription,
    theme_description: concept.themeDescription,
    image_path: concept.imagePath,
    image_url: concept.imageUrl,
    // Always a JSON string: pg would otherwise send a JS array as a PostgreSQL array literal.
    color_palettes: JSON.stringify(concept.colorPalettes),
    is_anonymous: concept.isAnonymous,
    refinement_prompt: concept.refinementPrompt,
    original_image_url: concept.originalImageUrl,
    outcome: concept.outcome ? JSON.stringify(concept.outcome) : null,
  };
}

export function fromRow(row: RefinedConceptRow): RefinedConcept {
  return {
    id: row.id,
    taskId: row.task_id,
    userId: row.user_id,
    logoDescription: row.logo_description,
    themeDescription: row.theme_description,
    imagePath: row.image_path,
    imageUrl: row.image_url,
    colorPalettes: (typeof row.color_palettes === 'string' ? JSON.parse(row.color_palettes) : row.color_palettes) as unknown[],
    isAnonymous: Boolean(row.is_anonymous),
    refinementPrompt: row.refinement_prompt,
    originalImageUrl: row.original_image_url,
    createdAt: toDate(row.created_at),
    parentConceptId: row.parent_concept_id,
    rootConceptId: row.root_concept_id ?? row.id,
    parentDeleted: Boolean(row.parent_deleted),
    outcome: outcomeOf(row.outcome),
  };
}

/** A row's outcome; an unreadable one reads as none rather than failing every read of the concept. */
function outcomeOf(text: string | null | undefined): RefinementOutcome | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as RefinementOutcome;
    return parsed && Array.isArray(parsed.applied) && Array.isArray(parsed.notApplied) ? parsed : null;
  } catch {
    return null;
  }
}

function toDate(value: Date | string | number): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  // A zone-less SQLite timestamp ("2024-05-01 12:00:00") is UTC; Date would read it as local time.
  const iso = value.replace(' ', 'T');
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : `${iso}Z`);
}

const TEXT_FIELDS = [
  'taskId',
  'userId',
  'logoDescription',
  'themeDescription',
  'imagePath',
  'imageUrl',
  'refinementPrompt',
  'originalImageUrl',
] as const;

/**
 * Checked here so both databases refuse the same things: SQLite would happily store a NUL byte or a
 * number in a text column that PostgreSQL rejects.
 */
function assertValidConcept(concept: RefinedConceptInput): void {
  const problems: string[] = [];
  for (const field of TEXT_FIELDS) {
    const value: unknown = concept[field];
    if (typeof value !== 'string') problems.push(`${field} must be a string`);
    else if (value.includes('\u0000')) problems.push(`${field} contains a NUL character`);
  }
  if (typeof concept.taskId === 'string' && concept.taskId.trim() === '') problems.push('taskId is empty');
  if (typeof concept.userId === 'string' && concept.userId.trim() === '') problems.push('userId is empty');
  if (typeof concept.isAnonymous !== 'boolean') problems.push('isAnonymous must be a boolean');
  if (concept.outcome) problems.push(...outcomeProblems(concept.outcome));
  if (!Array.isArray(concept.colorPalettes)) problems.push('colorPalettes must be an array');
  else {
    try {
      JSON.stringify(concept.colorPalettes);
    } catch (err) {
      problems.push(`colorPalettes is not JSON-serialisable (${(err as Error).message})`);
    }
  }
  if (problems.length > 0) throw new ConceptValidationError(`invalid refined concept: ${problems.join('; ')}`);
}

const OUTCOME_STATUSES: readonly string[] = ['applied', 'partly-applied', 'delegated'] satisfies RefinementOutcome['status'][];

function outcomeProblems(outcome: RefinementOutcome): string[] {
  const problems: string[] = [];
  if (!OUTCOME_STATUSES.includes(outcome.status)) problems.push(`outcome.status must be one of ${OUTCOME_STATUSES.join(', ')}`);
  for (const list of ['applied', 'notApplied'] as const) {
    const items: unknown = outcome[list];
    // Kept as JSON text, where a NUL is escaped: only the shape matters.
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) problems.push(`outcome.${list} must be a list of strings`);
  }
  return problems;
}
