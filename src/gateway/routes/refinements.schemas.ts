/** Shapes of /v1/refinements: starting, reading, listing and cancelling; see shared.schemas.ts for the rules. */
import { z } from 'zod';
import { ID_PATTERN, ID_RULE, LIMITS } from '../../workflows/input-validation';
import { STAGES } from '../../workflows/stage-policies';
import { imageUrl, refinementOutcome, text, webhookUrl } from './shared.schemas';

export const createRefinementBody = z
  .strictObject({
    /** Required for JSON requests; absent when the image is uploaded as multipart `image`. */
    originalImageUrl: imageUrl.optional(),
    refinementPrompt: text(LIMITS.promptLength),
    logoDescription: text(LIMITS.descriptionLength),
    themeDescription: text(LIMITS.descriptionLength),
    preserveAspects: z
      .array(text(LIMITS.aspectLength))
      .max(LIMITS.preserveAspects, `must have at most ${LIMITS.preserveAspects} items`)
      .optional(),
    callbackUrl: webhookUrl.optional(),
  })
  .meta({ description: 'JSON, or multipart/form-data with the same fields plus the original as the file part `image`.' });
export type CreateRefinementBody = z.infer<typeof createRefinementBody>;

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255, 'must be at most 255 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
});

export const taskIdParams = z.strictObject({
  taskId: z.string().regex(ID_PATTERN, ID_RULE),
});

export const refinementStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);

export const listQuery = z.strictObject({
  status: refinementStatus.optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int('must be an integer').min(1).max(100).default(20),
});

/** Optional: a bodiless POST (which fastify hands over as null or undefined) cancels without a reason. */
export const cancelBody = z.strictObject({ reason: text(LIMITS.cancelReasonLength).optional() }).nullish();

const stage = z.enum(STAGES);

export const refinementLinks = z.object({
  self: z.string(),
  events: z.string(),
  cancel: z.string(),
  concept: z.string().optional(),
});

export const startedRefinement = z.object({
  taskId: z.string(),
  status: refinementStatus,
  links: refinementLinks,
  /** With a callbackUrl, on the first answer only: the whsec_ secret that signs its event. */
  callbackSecret: z.string().optional(),
  /** With a callbackUrl: its webhook id, for `GET /v1/webhooks/{id}/deliveries` and replays. */
  callbackWebhookId: z.string().optional(),
});

export const refinementRequest = z.object({
  refinementPrompt: z.string(),
  logoDescription: z.string(),
  themeDescription: z.string(),
  preserveAspects: z.array(z.string()),
});

export const refinementView = z.object({
  taskId: z.string(),
  status: refinementStatus,
  currentStage: stage.nullable(),
  finishedStages: z.array(stage),
  attempt: z.number().int(),
  lastFailure: z.string().nullable(),
  /** Once failed: the failure's type, e.g. `InstructionsNotUnderstoodError` (rephrase the prompt); else null. */
  failureType: z.string().nullable(),
  startedAt: z.string(),
  stageStartedAt: z.string().nullable(),
  /** When each stage that has begun started and finished (workflow time). */
  stageTimes: z.partialRecord(stage, z.object({ startedAt: z.string(), finishedAt: z.string().nullable() })),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  cancellation: z
    .object({ reason: z.string(), requestedAt: z.string(), outcome: z.enum(['cancelling', 'cancelled', 'too-late']) })
    .nullable(),
  conceptId: z.string().nullable(),
  /** Signed and expiring; present once completed. */
  imageUrl: z.string().nullable(),
  /** What the owner asked for; null for refinements started before the gateway kept requests. */
  request: refinementRequest.nullable(),
  /** The original: a signed link to the upload, or the caller's own URL (`uploaded: false`). */
  original: z.object({ url: z.string(), uploaded: z.boolean() }).nullable(),
  /** The refiner's notes: what it applied and what it did not understand. */
  notes: z.array(z.string()),
  /**
   * While a queue provider holds the refine stage's work: the provider, its place in the queue (0:
   * being worked on; null when it does not say) and its own word for the state. Null otherwise.
   */
  providerQueue: z
    .object({ provider: z.string(), queuePosition: z.number().int().nullable(), providerStatus: z.string() })
    .nullable(),
  /** What the refiner applied and what it did not, once the refine stage finished; null before. */
  outcome: refinementOutcome.nullable(),
  links: refinementLinks,
});
export type RefinementView = z.infer<typeof refinementView>;

export const refinementSummary = z.object({
  taskId: z.string(),
  status: refinementStatus,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Null for refinements started before the gateway kept requests. */
  refinementPrompt: z.string().nullable(),
  conceptId: z.string().nullable(),
  /** Signed: the refined image once completed, the uploaded original while running; else null. */
  thumbnailUrl: z.string().nullable(),
  links: refinementLinks,
});

export const refinementList = z.object({
  items: z.array(refinementSummary),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type RefinementList = z.infer<typeof refinementList>;
export type StartedRefinement = z.infer<typeof startedRefinement>;

export const cancelAccepted = z.object({ taskId: z.string(), status: z.literal('cancelling') });

