/** Shapes that cross the workflow boundary: the request, input, result, progress, and the references stages pass on. */
import type { Duration } from '@temporalio/common';
import type { Stage, StagePolicyOverrides } from './stage-policies';

/**
 * What the person asked for: the change, the concept it applies to, and what must stay as it is. One
 * value from the gateway to the concept service. Its fields sit at the top level of the workflow's and
 * the stages' inputs (the shape recorded in history), so it is taken out with refinementRequestOf.
 */
export interface RefinementRequest {
  refinementPrompt: string;
  logoDescription: string;
  themeDescription: string;
  /** Aspects of the original the change must leave alone (none when absent). */
  preserveAspects?: string[];
}

/** The request's fields of any value that carries them, and nothing else. */
export function refinementRequestOf(value: RefinementRequest): RefinementRequest {
  const { refinementPrompt, logoDescription, themeDescription, preserveAspects } = value;
  return { refinementPrompt, logoDescription, themeDescription, ...(preserveAspects !== undefined ? { preserveAspects } : {}) };
}

export interface RefinementInput extends RefinementRequest {
  taskId: string;
  userId: string;
  originalImageUrl: string;
  /** Set when the original was uploaded into the image store instead of being fetched from a URL. */
  uploadedImageKey?: string;
  /** Default true, as in the seed. */
  isAnonymous?: boolean;
  /** Resolved by the starter from configuration; recorded in history so the run keeps them. */
  stagePolicies?: StagePolicyOverrides;
  /**
   * Refine a stored concept again: the download stage reads this concept's image from the image store
   * (after checking it belongs to `userId`) instead of fetching `originalImageUrl`. Older runs have none.
   */
  parentConceptId?: string;
  /**
   * Webhook endpoints (ids in the webhook store, resolved by the starter) told when the refinement
   * ends. Ids only: URLs and secrets stay in the store, out of history. Older runs have none.
   */
  webhookEndpointIds?: string[];
  /** Retry settings of webhook deliveries, resolved by the starter from configuration. */
  webhookPolicy?: WebhookPolicy;
}

export interface WebhookPolicy {
  /** How long one endpoint is retried, in all (24 h by default). */
  retryFor?: Duration;
  /** Bound of one attempt (the HTTP deadline plus a margin): a worker that dies mid-attempt is noticed after it. */
  attemptTimeout?: Duration;
  initialInterval?: Duration;
  maximumInterval?: Duration;
}

/** A provider holding the refine stage's work in its queue, as the progress shows it. */
export interface ProviderWaiting {
  /** Place in the provider's queue; 0 once the provider is working on it; null when it does not say. */
  queuePosition: number | null;
  /** The provider's own word for the state (IN_QUEUE, starting, processing...). */
  providerStatus: string;
}

/**
 * What became of the prompt's instructions. A refiner that parses the prompt (the local one) lists
 * each instruction it recognised as applied or not applied, with why; a remote model takes the whole
 * prompt and does not say what it did ('delegated'). The concept service's seam uses this same type.
 */
export interface RefinementOutcome {
  status: 'applied' | 'partly-applied' | 'delegated';
  /** Human-readable instructions carried out, e.g. "background colour → dark blue". */
  applied: string[];
  /** Instructions or kept aspects not carried out, each with its reason. */
  notApplied: string[];
}

export interface RefinementResult {
  conceptId: string;
  imagePath: string;
  imageUrl: string;
  originalImageUrl: string;
  taskId: string;
  /** What the refiner did with the prompt; absent on results of runs from before outcomes were kept. */
  outcome?: RefinementOutcome | null;
}

/**
 * What a completed run returns: its result, and its final progress (without the result, which is
 * beside it), so that a reader of the closed run gets the whole account from the server without a
 * worker replaying the run to answer a query. Runs of builds before it return the result alone.
 */
export interface RefinementReturn extends RefinementResult {
  finalProgress?: Omit<RefinementProgress, 'result'>;
}

/**
 * A claim check: where a staged image lives in the image store, never the bytes themselves, so image
 * data stays out of workflow history.
 */
export interface ImageRef {
  key: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
}

export type RefinementStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** What the `RefinementStage` search attribute and the progress query call where a run stands. */
export type StageLabel = Stage | 'completed' | 'failed' | 'cancelled';

export interface CancellationState {
  reason: string;
  requestedAt: string;
  /** `too-late`: the concept was already being stored, so the refinement went on to complete. */
  outcome: 'cancelling' | 'cancelled' | 'too-late';
}

export interface RefinementProgress {
  taskId: string;
  status: RefinementStatus;
  /** The stage now running; null before the first and after the last. */
  currentStage: Stage | null;
  finishedStages: Stage[];
  /** Attempt number of the current stage (1 until a retry is reported). */
  attempt: number;
  lastFailure: string | null;
  /** The failure's type once the run failed (the error class, e.g. InstructionsNotUnderstoodError); else null. */
  failureType: string | null;
  startedAt: string;
  stageStartedAt: string | null;
  /** When each stage that has begun started and finished. */
  stageTimes: Partial<Record<Stage, { startedAt: string; finishedAt: string | null }>>;
  updatedAt: string;
  finishedAt: string | null;
  cancellation: CancellationState | null;
  /**
   * Where a queue provider holds the refine stage's work while the current attempt waits on it;
   * null otherwise (another stage, or an attempt that has not reported a queue).
   */
  providerQueue: ProviderWaiting | null;
  notes: string[];
  /**
   * What the refiner applied and what it did not, once the refine stage finished and its result was
   * kept (not when a cancel had already been accepted); null before.
   */
  outcome: RefinementOutcome | null;
  result: RefinementResult | null;
}
