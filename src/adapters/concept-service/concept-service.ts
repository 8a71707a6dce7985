/** A provider that turns an original concept image and an instruction into a refined image. */
export interface RefineRequest {
  taskId: string;
  image: { data: Buffer; contentType: string };
  originalImageUrl: string;
  refinementPrompt: string;
  logoDescription: string;
  themeDescription: string;
  preserveAspects: string[];
  /** Aborted when the activity is cancelled or the worker shuts down. */
  signal: AbortSignal;
  /** Call while waiting on slow work so the server sees the attempt is alive. */
  heartbeat: () => void;
}

export type RefineResult =
  | { kind: 'image'; data: Buffer; contentType: string; notes: string[] }
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
