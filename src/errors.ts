/**
 * Typed errors raised by adapters. They know nothing of Temporal: the activity boundary
 * (src/activities/stage.ts) turns them into ApplicationFailures whose `type` is the class name and
 * whose retryability comes from `retryable` here, so the retry decision lives beside the cause.
 */
export abstract class RefineryError extends Error {
  /** Whether trying the same thing again may succeed (network trouble, 5xx, 429, database down). */
  abstract readonly retryable: boolean;
  /** A delay the remote side asked for (Retry-After), used as the next retry delay. */
  retryAfterMs?: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Permanent: the request itself is wrong and will stay wrong. */
export abstract class PermanentError extends RefineryError {
  readonly retryable = false;
}

/** Transient: the world was in the way; retry with backoff. */
export abstract class TransientError extends RefineryError {
  readonly retryable = true;
}

export class InvalidRefinementInputError extends PermanentError {}
export class InvalidImageUrlError extends PermanentError {}
export class BlockedAddressError extends PermanentError {}
export class NotAnImageError extends PermanentError {}
export class ImageTooLargeError extends PermanentError {}
export class PixelLimitExceededError extends PermanentError {}
/** The image host answered with a 4xx other than 408/429: asking again will not help. */
export class ImageUnavailableError extends PermanentError {}
/** The provider refused the prompt or the request (content policy, invalid request, bad key). */
export class PromptRejectedError extends PermanentError {}
/** The provider answered, but not with a usable image. */
export class InvalidProviderResponseError extends PermanentError {}
/** The concept store refused the record (constraint or data error): storing it again will fail again. */
export class ConceptValidationError extends PermanentError {}

/** The concept to refine again does not exist or belongs to someone else (the two are not told apart). */
export class ParentConceptNotFoundError extends PermanentError {}
/** A webhook URL is not acceptable: not http(s), credentials in it, or a forbidden address. */
export class InvalidWebhookUrlError extends PermanentError {}

export class DownloadFailedError extends TransientError {}
export class ProviderUnavailableError extends TransientError {}
export class StorageUnavailableError extends TransientError {}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
