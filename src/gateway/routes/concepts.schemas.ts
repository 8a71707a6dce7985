/** Shapes of /v1/concepts/{conceptId}; see shared.schemas.ts for the rules. */
import { z } from 'zod';

export const conceptIdParams = z.strictObject({ conceptId: z.string().max(64) });

export const conceptView = z.object({
  id: z.string(),
  taskId: z.string(),
  logoDescription: z.string(),
  themeDescription: z.string(),
  refinementPrompt: z.string(),
  originalImageUrl: z.string(),
  imageUrl: z.string(),
  imageUrlExpiresAt: z.string(),
  colorPalettes: z.array(z.unknown()),
  isAnonymous: z.boolean(),
  createdAt: z.string(),
});
