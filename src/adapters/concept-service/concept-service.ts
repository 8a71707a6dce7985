/** A provider that turns an original concept image and an instruction into a refined image. */
export interface RefineRequest {
  taskId: string;
  /** The original, in a local file of this attempt: read it, leave it where it is. */
  image: { path: string; contentType: string };
  /**
   * A local folder of this attempt, removed after it: where a refiner may keep intermediate files
   * and write its result (see the 'file' result), so that an image need not be held in memory.
   */
  workDir: string;
  originalImageUrl: string;
  refinementPrompt: string;
  logoDescription: string;
  themeDescription: string;
  preserveAspects: string[];
  /** Aborted when the activity is cancelled or the worker shuts down. */
  signal: AbortSignal;
  /**
   * Progress, for a refiner that works in steps. The activity's attempt heartbeats on its own while
   * the call runs (so a remote call need not call this), and this costs nothing: it does not reach the SDK.
   */
  heartbeat: () => void;
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
