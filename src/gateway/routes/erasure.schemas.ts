/** Shapes of /v1/me/erasure: a user's request to erase everything Refinery holds about them. */
import { z } from 'zod';
import { ERASURE_COUNT_KINDS } from '../../adapters/user-data/erasure-counts';

const counts = z
  .object(Object.fromEntries(ERASURE_COUNT_KINDS.map((kind) => [kind, z.number().int()])) as Record<(typeof ERASURE_COUNT_KINDS)[number], z.ZodNumber>)
  .meta({ description: 'What was removed so far, per kind (docs/erasure.md). Numbers only.' });

export const erasureAccepted = z.object({
  /** The erasure's id; a request while one runs answers that one's. */
  erasureId: z.string(),
  status: z.enum(['requested', 'running', 'completed', 'failed']),
  /** Where to follow it: `GET /v1/me/erasure`. */
  statusUrl: z.string(),
});

export const erasureView = z.object({
  erasureId: z.string(),
  status: z.enum(['requested', 'running', 'completed', 'failed']),
  requestedBy: z.enum(['user', 'operator']),
  requestedAt: z.string(),
  finishedAt: z.string().nullable(),
  counts,
});

export type ErasureView = z.infer<typeof erasureView>;
