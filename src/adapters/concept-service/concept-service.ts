/** A provider that turns an original concept image and an instruction into a refined image. */
import type { ProviderWaiting, RefinementOutcome, RefinementRequest } from '../../workflows/types';
import type { ProviderCallListener } from './provider-call-report';

/** The person's request, with the original it applies to and what the attempt provides. */
export interface RefineRequest extends RefinementRequest {
  taskId: string;
  /** The original, in a local file of this attempt: read it, leave it where it is. */
  image: { path: string; contentType: string };
  /**
   * A local folder of this attempt, removed after it: where a refiner may keep intermediate files
   * and write its result (see the 'file' result), so that an image need not be held in memory.
   */
  workDir: string;
  originalImageUrl: string;
  /** [] when nothing in particular is to be kept. */
  preserveAspects: string[];
  /** Aborted when the activity is cancelled or the worker shuts down. */
  signal: AbortSignal;
  /**
   * Progress, for a refiner that works in steps. The activity's attempt heartbeats on its own while
   * the call runs (so a remote call need not call this), and this costs nothing: it does not reach the SDK.
   */
  heartbeat: () => void;
  /** Told how each HTTP call to a remote provider went: how the calls are measured from outside. */
  onProviderCall?: ProviderCallListener;
  /**
   * What an earlier attempt of this refinement recorded with `checkpoint` (a queue provider's request
   * id, say), when a worker died or shut down while it waited: resume from it instead of submitting
   * (and paying for) the same refinement again. Undefined on a first attempt.
   */
  resumeFrom?: ProviderCheckpoint;
  /**
   * Records what a later attempt needs to resume this call (kept in the attempt's heartbeat details,
   * sent to the server at once). Call it as soon as the provider has accepted the work.
   */
  checkpoint(checkpoint: ProviderCheckpoint): void;
  /** Tells the run's progress that the provider queued the work (position 0: it is being worked on). */
  reportWaiting(waiting: ProviderWaiting): void;
}

/** A provider's handle on accepted work: enough for another process to poll, fetch or cancel it. */
export interface ProviderCheckpoint {
  provider: string;
  requestId: string;
  /** Provider-specific URLs or fields the next attempt needs (status, result, cancel). No secrets. */
  [field: string]: string | number | undefined;
}

/** What became of the prompt's instructions: defined beside the workflow's types, which carry it. */
export type { RefinementOutcome } from '../../workflows/types';

/** What a refiner understands, published to users (GET /v1/limits) as hints beside the prompt. */
export interface RefinerCapabilities {
  refiner: string;
  /** 'instructions': only the listed kinds of edit; 'open-prompt': a model that takes any prompt. */
  understands: 'instructions' | 'open-prompt';
  /** Kinds of instruction, each with example phrasings, e.g. { kind: 'background', examples: [...] }. */
  instructions: Array<{ kind: string; description: string; examples: string[] }>;
  /** Aspects the refiner can keep unchanged when asked ("shape", "text", "colours", "background"). */
  preservableAspects: string[];
}

export type RefineResult = (
  | { kind: 'image'; data: Buffer; contentType: string }
  /** The image, written to a file in the request's workDir. */
  | { kind: 'file'; path: string; contentType: string }
  /** Providers that host their output answer with a URL; the activity fetches it through the safe download. */
  | { kind: 'url'; url: string }
) & { notes: string[]; outcome: RefinementOutcome };

export interface ConceptService {
  readonly name: string;
  /**
   * Throws RefineryError subclasses: PromptRejectedError / InvalidProviderResponseError (permanent),
   * ProviderUnavailableError (transient, with retryAfterMs when the provider said so).
   */
  refine(request: RefineRequest): Promise<RefineResult>;
  /** What this refiner understands; the same for every request. */
  capabilities(): RefinerCapabilities;
  /**
   * Work done once, before the first refinement: the worker awaits it at start, so that the first
   * request does not pay for it inside its attempt (and its heartbeat timeout). Optional.
   */
  prepare?(): Promise<void>;
}

/** The outcome of a provider that takes the whole prompt and does not report what it did. */
export function delegatedOutcome(provider: string): RefinementOutcome {
  return { status: 'delegated', applied: [`the whole prompt, interpreted by ${provider}`], notApplied: [] };
}

/** What a model that takes any prompt understands: anything, with no list of instructions to offer. */
export function openPromptCapabilities(refiner: string): RefinerCapabilities {
  return { refiner, understands: 'open-prompt', instructions: [], preservableAspects: ['shape', 'text', 'colours', 'background'] };
}
