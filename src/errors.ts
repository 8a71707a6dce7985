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
  /**
   * What only the operator may see (a resolved address, a raw connect error): logged with the
   * error, never part of the message, which reaches the user through the API and workflow history.
   */
  operatorDetail?: string;

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
/**
 * Nothing in the prompt was something the refiner can do: the image would come back unchanged. The
 * message says what the refiner can do, so the person can rephrase.
 */
export class InstructionsNotUnderstoodError extends PermanentError {}
/** The provider answered, but not with a usable image. */
export class InvalidProviderResponseError extends PermanentError {}
/** The concept store refused the record (constraint or data error): storing it again will fail again. */
export class ConceptValidationError extends PermanentError {}
/**
 * The image store refused us for a reason only an operator can fix (no such bucket, access denied,
 * bad credentials, a wrong endpoint or region): the message names the setting to look at.
 */
export class StorageMisconfiguredError extends PermanentError {
  constructor(
    message: string,
    /** The settings to check, e.g. ['S3_BUCKET'] or ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']. */
    readonly settings: string[],
    options?: { cause?: unknown },
  ) {
    super(`${message} (check ${settings.join(', ')})`, options);
  }
}

/**
 * A Temporal payload could not be decrypted: encrypted with a key this process is not given, or
 * altered. Trying again with the same keys fails the same way.
 */
export class PayloadDecryptionError extends PermanentError {}

/**
 * The download's own overall deadline passed while the host was still sending: a host that trickles
 * its answer would do so again, so this is the host's fault, not a transient failure.
 */
export class DownloadTooSlowError extends PermanentError {}

/** The concept to refine again does not exist or belongs to someone else (the two are not told apart). */
export class ParentConceptNotFoundError extends PermanentError {}
/** A webhook URL is not acceptable: not http(s), credentials in it, or a forbidden address. */
export class InvalidWebhookUrlError extends PermanentError {}

export class DownloadFailedError extends TransientError {}
export class ProviderUnavailableError extends TransientError {}
export class StorageUnavailableError extends TransientError {}

/** Attaches operator-only detail to an error and returns it. */
export function withOperatorDetail<T extends RefineryError>(error: T, detail: string): T {
  error.operatorDetail = detail;
  return error;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Temporal could not be reached, or refused the connection (TLS, client certificate, API key). The
 * message names the address and the TEMPORAL_* settings involved, never the key. Retryable when the
 * server was only unreachable; a certificate that is refused stays refused.
 */
export class TemporalConnectionError extends RefineryError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
