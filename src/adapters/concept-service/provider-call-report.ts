/**
 * How one HTTP call to an image provider went, told by the call itself to whoever measures it. Only
 * the call knows whether an answer arrived, with which status, and whether its own deadline struck;
 * it reports that here rather than to a metrics registry, so that instrumentation stays a decorator
 * outside the adapters (instrumentConceptService in src/observability/instrumented-adapters.ts).
 */
export interface ProviderCallReport {
  /** The provider's name, e.g. "openai". */
  provider: string;
  /** From sending the request until the call ended, answer read. */
  seconds: number;
  /** The answer's HTTP status; undefined when no answer arrived. */
  status: number | undefined;
  /** Set when the call threw: what, and whether the caller cancelled it or our deadline struck. */
  failure?: { error: unknown; cancelled: boolean; timedOut: boolean };
}

export type ProviderCallListener = (report: ProviderCallReport) => void;
