/**
 * What a download may meet that is not an image, turned into the typed errors that the user and the
 * retry policy read: an unusable status, an announced size over the limit, a network error or the
 * deadline.
 */
import type { Dispatcher } from 'undici';
import {
  DownloadFailedError,
  DownloadTooSlowError,
  ImageTooLargeError,
  ImageUnavailableError,
  RefineryError,
  describeError,
  withOperatorDetail,
} from '../../errors';
import { firstHeader, isTransientStatus, parseRetryAfter } from './responses';

export function refuseUnsuccessfulStatus(response: Dispatcher.ResponseData, url: URL): void {
  const status = response.statusCode;
  if (status >= 200 && status < 300) return;
  discardBody(response.body);
  const problem = `${url.host} answered HTTP ${status}`;
  if (isTransientStatus(status)) {
    const error = new DownloadFailedError(problem);
    if (status === 429 || status === 503) {
      error.retryAfterMs = parseRetryAfter(firstHeader(response.headers['retry-after']), Date.now());
    }
    throw error;
  }
  // Other 4xx, and 1xx/3xx we cannot use (a redirect without Location, 304): asking again won't help.
  throw new ImageUnavailableError(problem);
}

/** Refuses a body announced bigger than `maxBytes`; returns the announced length, if any. */
export function refuseAnnouncedOversize(response: Dispatcher.ResponseData, url: URL, maxBytes: number): number | undefined {
  const header = firstHeader(response.headers['content-length']);
  const announced = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(announced) && announced > maxBytes) {
    discardBody(response.body);
    throw new ImageTooLargeError(`${url.host} announced ${announced} bytes; the limit is ${maxBytes}`);
  }
  return Number.isSafeInteger(announced) && announced >= 0 ? announced : undefined;
}

/** Drops a body we will not read. undici reports that as an abort error on the stream: expected here. */
export function discardBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined).destroy();
}

export interface FailureContext {
  callerSignal: AbortSignal | undefined;
  deadline: AbortSignal;
  totalTimeoutMs: number;
  /** Body bytes received when the deadline struck tell a trickling host from one that never answered. */
  bodyBytes: number;
}

/**
 * Turns whatever went wrong into our typed errors, except a caller's abort, which stays theirs. The
 * messages reach the user: they say what happened in terms of the URL they gave, never a resolved
 * address or a raw socket error (which would tell a refused port from a filtered one); those go to
 * the operator's log as operatorDetail.
 */
export function explainFailure(err: unknown, url: URL, context: FailureContext): unknown {
  if (context.callerSignal?.aborted) return context.callerSignal.reason;
  if (err instanceof RefineryError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? `${code}: ${describeError(err)}` : describeError(err);
  if (context.deadline.aborted) {
    // The host kept sending but too slowly to finish in time: it would do the same again.
    if (context.bodyBytes > 0) {
      return withOperatorDetail(
        new DownloadTooSlowError(
          `download from ${url.host} was still arriving after the ${context.totalTimeoutMs} ms deadline (${context.bodyBytes} bytes received): the host sends too slowly`,
          { cause: err },
        ),
        detail,
      );
    }
    return withOperatorDetail(
      new DownloadFailedError(`download from ${url.host} did not finish within ${context.totalTimeoutMs} ms`, { cause: err }),
      detail,
    );
  }
  return withOperatorDetail(new DownloadFailedError(`download from ${url.host} failed: the host could not be reached or broke the connection`, { cause: err }), detail);
}
