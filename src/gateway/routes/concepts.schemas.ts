/** Shapes of /v1/concepts/{conceptId}; see shared.schemas.ts for the rules. */
import { z } from 'zod';
import { refinementOutcome } from './shared.schemas';

export const conceptIdParams = z.strictObject({ conceptId: z.string().max(64) });

export const conceptView = z.object({
  id: z.string(),
  taskId: z.string(),
  logoDescription: z.string(),
  /** The theme as the person wrote it (what refining the concept again starts from). */
  themeDescription: z.string(),
  /** The theme as stored, combined with the prompt as the seed does: "<theme> (refined: <prompt>)". */
  storedThemeDescription: z.string(),
  refinementPrompt: z.string(),
  originalImageUrl: z.string(),
  imageUrl: z.string(),
  imageUrlExpiresAt: z.string(),
  colorPalettes: z.array(z.unknown()),
  isAnonymous: z.boolean(),
  createdAt: z.string(),
  /** What the refiner applied and what it did not; null for concepts stored before outcomes were kept. */
  outcome: refinementOutcome.nullable(),
});
