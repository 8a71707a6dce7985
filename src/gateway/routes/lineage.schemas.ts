/** Shapes of the concept lineage routes (refine again, list, lineage, delete); see shared.schemas.ts for the rules. */
import { z } from 'zod';
import { LIMITS } from '../../workflows/input-validation';
import { conceptView } from './concepts.schemas';
import { text, webhookUrl } from './shared.schemas';

export const refineConceptBody = z.strictObject({
  refinementPrompt: text(LIMITS.promptLength),
  /** Default: the parent concept's. */
  logoDescription: text(LIMITS.descriptionLength).optional(),
  /** Default: the parent concept's. */
  themeDescription: text(LIMITS.descriptionLength).optional(),
  preserveAspects: z.array(text(LIMITS.aspectLength)).max(LIMITS.preserveAspects).optional(),
  callbackUrl: webhookUrl.optional(),
});
export type RefineConceptBody = z.infer<typeof refineConceptBody>;

export const conceptListQuery = z.strictObject({
  /** Only concepts of this lineage (the id of its first concept). */
  root: z.string().max(64).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int('must be an integer').min(1).max(100).default(20),
});

export const lineageConceptView = conceptView.extend({
  parentConceptId: z.string().nullable(),
  rootConceptId: z.string(),
  /** The parent was deleted; parentConceptId still names it. */
  parentDeleted: z.boolean(),
});

export const conceptList = z.object({
  items: z.array(lineageConceptView),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const lineageView = z.object({
  /** From the root (or the oldest ancestor still stored) to the concept itself. */
  chain: z.array(lineageConceptView),
  /** An ancestor was deleted, so the chain starts below the root. */
  truncated: z.boolean(),
  /** Direct children of the concept, oldest first. */
  children: z.array(lineageConceptView),
});
