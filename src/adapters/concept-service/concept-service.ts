/** A provider that turns an original concept image and an instruction into a refined image. */
import type { RefinementRequest } from '../../workflows/types';
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
}

export type RefineResult =
  | { kind: 'image'; data: Buffer; contentType: string; notes: string[] }
  /** The image, written to a file in the request's workDir. */
  | { kind: 'file'; path: string; contentType: string; notes: string[] }
  /** Providers that host their output answer with a URL; the activity fetches it through the safe download. */
  | { kind: 'url'; url: string; notes: string[] };

export interface ConceptService {
  readonly name: string;
  /**
   * Throws RefineryError subclasses: PromptRejectedError / InvalidProviderResponseError (permanent),
   * ProviderUnavailableError (transient, with retryAfterMs when the provider said so).
   */
  refine(request: RefineRequest): Promise<RefineResult>;
}
