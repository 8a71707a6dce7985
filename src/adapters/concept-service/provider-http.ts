/**
 * What every remote image provider shares: one HTTP call under connect / headers / overall deadlines,
 * a cap on the answer's size, the mapping of HTTP outcomes onto Refinery's typed errors, the
 * redaction of API keys from anything we repeat, and a report of how each call went for whoever
 * measures it (provider-call-report.ts). (The call needs no heartbeat of its own: the
 * activity's attempt heartbeats for as long as it runs, see src/activities/attempt-heartbeat.ts.)
 *
 * Provider calls are infrequent and slow (seconds each), so every call gets its own undici Agent:
 * destroying it afterwards guarantees that an aborted or abandoned call leaves no socket open.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher, type FormData } from 'undici';
import {
  InvalidProviderResponseError,
  NotAnImageError,
  PixelLimitExceededError,
  PromptRejectedError,
  ProviderUnavailableError,
  RefineryError,
  describeError,
  withOperatorDetail,
} from '../../errors';
import { inspectImage, type ImageFile, type InspectedImage } from '../images/image-inspection';
import { firstHeader, isTransientStatus, parseRetryAfter } from '../http/responses';
import type { RefinementRequest } from '../../workflows/types';
import type { RefineRequest } from './concept-service';
import type { ProviderCallListener, ProviderCallReport } from './provider-call-report';

export interface ProviderHttpSettings {
  connectTimeoutMs: number;
  /** Time until response headers arrive: image models answer only when the image is done. */
  headersTimeoutMs: number;
  /** Deadline for the whole call, body included. */
  timeoutMs: number;
  /** Cap on the answer's bytes (base64 answers are a third larger than the image). */
  maxResponseBytes: number;
  /** Decoded width x height cap for the image in the answer. */
  maxPixels: number;
}

export interface ProviderCall {
  /** Provider name for messages, e.g. "openai". */
  provider: string;
  url: URL;
  /** POST unless said otherwise: queue providers GET a request's status and cancel it with PUT or POST. */
  method?: 'POST' | 'GET' | 'PUT';
  headers: Record<string, string>;
  /** None for a GET. */
  body?: string | FormData;
  /** Values that must never be repeated in an error or a log line (API keys). */
  secrets: string[];
  signal: RefineRequest['signal'];
  /** Told how the call went once it ends (RefineRequest.onProviderCall). */
  onCallEnded?: ProviderCallListener;
  /**
   * The delay a 429/503 error body asks for, for providers that say it there rather than (or as well
   * as) in Retry-After (Gemini's RetryInfo). The header wins when both are present.
   */
  retryAfterInBody?: (body: Buffer) => number | undefined;
}

export interface ProviderAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A provider that does not answer within this long is asked again anyway: a bound on Retry-After. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;
/** Error bodies are only read for their message; more than this is not a message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** POSTs `call.body` (see callProvider). */
export function postToProvider(settings: ProviderHttpSettings, call: ProviderCall): Promise<ProviderAnswer> {
  return callProvider(settings, { ...call, method: 'POST' });
}

/**
 * Sends one request and returns a 2xx answer; everything else becomes a typed error. An abort from
 * the caller's signal closes the connection and is rethrown as its own reason, unwrapped, so the
 * activity sees a cancellation and not a provider failure.
 */
export async function callProvider(settings: ProviderHttpSettings, call: ProviderCall): Promise<ProviderAnswer> {
  call.signal.throwIfAborted();
  const startedAt = performance.now();
  let status: number | undefined;
  let failure: ProviderCallReport['failure'];
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const signal = AbortSignal.any([call.signal, deadline]);
  const agent = new Agent({
    connect: { timeout: settings.connectTimeoutMs },
    headersTimeout: settings.headersTimeoutMs,
    // The overall deadline is the real limit; undici's body timeout only measures gaps between chunks.
    bodyTimeout: settings.timeoutMs,
  });
  try {
    const response = await request(call.url, {
      method: call.method ?? 'POST',
      dispatcher: agent,
      signal,
      headers: { 'user-agent': 'Refinery', ...call.headers },
      body: call.body,
    });
    status = response.statusCode;
    const contentType = firstHeader(response.headers['content-type']) ?? '';
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const errorBody = await readCapped(response.body, MAX_ERROR_BODY_BYTES, { truncate: true });
      throw statusError(call, response, errorBody);
    }
    const body = await readCapped(response.body, settings.maxResponseBytes, { truncate: false }).catch((err) => {
      if (err instanceof ResponseTooLarge) {
        throw new InvalidProviderResponseError(
          `${call.provider} answered with more than the ${settings.maxResponseBytes}-byte limit`,
        );
      }
      throw err;
    });
    return { status: response.statusCode, contentType, body };
  } catch (err) {
    failure = { error: err, cancelled: call.signal.aborted, timedOut: deadline.aborted };
    if (call.signal.aborted) throw call.signal.reason;
    if (err instanceof RefineryError) throw err;
    if (deadline.aborted) {
      throw new ProviderUnavailableError(`${call.provider} did not answer within ${settings.timeoutMs} ms`);
    }
    // The user sees the kind of failure; the raw error (addresses, ports) goes to the operator's log.
    throw withOperatorDetail(
      new ProviderUnavailableError(`${call.provider} could not be reached: ${describeNetworkError(err)}`),
      redact(`${describeError(err)}${(err as { code?: unknown }).code ? ` (${String((err as { code?: unknown }).code)})` : ''}`, call.secrets),
    );
  } finally {
    call.onCallEnded?.({ provider: call.provider, seconds: (performance.now() - startedAt) / 1000, status, failure });
    // Closes whatever is still open (a hung body, an aborted request) at once.
    await agent.destroy().catch(() => undefined);
  }
}

/** Maps a non-2xx answer onto the typed error that decides whether the activity retries. */
function statusError(call: ProviderCall, response: Dispatcher.ResponseData, body: Buffer): RefineryError {
  const status = response.statusCode;
  const said = providerMessage(body);
  const message = redact(`${call.provider} answered HTTP ${status}${said ? `: ${said}` : ''}`, call.secrets);
  if (isTransientStatus(status)) {
    const error = new ProviderUnavailableError(message);
    if (status === 429 || status === 503) {
      const asked = parseRetryAfter(firstHeader(response.headers['retry-after']), Date.now()) ?? call.retryAfterInBody?.(body);
      if (asked !== undefined) error.retryAfterMs = Math.min(asked, MAX_RETRY_AFTER_MS);
    }
    return error;
  }
  // 400/401/403/404/422 and the other 4xx: content policy, invalid request, bad key. Asking again won't help.
  return new PromptRejectedError(message);
}

/**
 * The provider's own explanation: OpenAI and Gemini send `{ error: { message } }`, JigsawStack
 * `{ message }` (sometimes `{ error: "..." }`), fal and Replicate `{ detail: "..." }`. Anything else is
 * summarised, not echoed: it may be an HTML page.
 */
export function providerMessage(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = json.error as { message?: unknown } | string | undefined;
    const candidate =
      typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : typeof json.message === 'string' ? json.message : json.detail;
    if (typeof candidate === 'string' && candidate.trim() !== '') return clip(candidate.trim());
  } catch {
    // not JSON
  }
  return /^\s*</.test(text) ? 'an HTML page instead of an API answer' : clip(text);
}

/**
 * Checks that image bytes from a provider decode completely (a truncated PNG has an intact header),
 * so a broken answer is the provider's InvalidProviderResponseError, not the user's bad image.
 */
export async function inspectProviderImage(provider: string, data: Buffer | ImageFile, maxPixels: number): Promise<InspectedImage> {
  try {
    return await inspectImage(data, { maxPixels });
  } catch (err) {
    if (err instanceof NotAnImageError || err instanceof PixelLimitExceededError) {
      throw new InvalidProviderResponseError(`${provider} answered with no usable image: ${err.message}`);
    }
    throw err;
  }
}

/** Decodes a base64 image field strictly: anything that is not base64 is a broken answer. */
export function decodeBase64Image(provider: string, value: string): Buffer {
  const compact = value.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new InvalidProviderResponseError(`${provider} answered with an image field that is not base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** Parses a JSON answer, or says clearly that the provider sent something else (an HTML error page). */
export function parseJsonAnswer(provider: string, answer: ProviderAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    const what = answer.contentType ? `${answer.contentType.split(';')[0]} content` : 'content';
    throw new InvalidProviderResponseError(`${provider} answered HTTP ${answer.status} with ${what} that is not JSON`);
  }
}

/** Accepts only an http(s) URL from a provider's answer; the activity fetches it through the safe download. */
export function hostedImageUrl(provider: string, value: unknown): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
    } catch {
      // falls through
    }
  }
  throw new InvalidProviderResponseError(`${provider} answered with an image URL that is not an http(s) URL`);
}

const REDACTED = '[redacted]';
/**
 * Shapes of credentials that a provider may echo even when it is not our key (another tenant's, a
 * rotated one): OpenAI keys, Google API keys, fal's `Key <id>:<secret>`, bearer tokens, x-api-key.
 */
const CREDENTIAL_PATTERNS = [/\bsk-[A-Za-z0-9_-]{6,}/g, /\bAIza[A-Za-z0-9_-]{20,}/g, /\bKey\s+[0-9a-f-]{20,}:[0-9a-f]{20,}/g, /\bBearer\s+[^\s,;"']+/gi, /\bx-api-key["']?\s*[:=]\s*["']?[^\s,;"']+/gi];

/**
 * Removes API keys from text that may echo request data (a provider's error message, a network
 * error). Our own keys are removed wherever they appear; well-known credential shapes too.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Very short values would redact ordinary words; keys are never that short.
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  for (const pattern of CREDENTIAL_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}

/**
 * The prompt both providers receive: what the concept is, what to change, and what must stay.
 * Preserved aspects are stated as constraints because image models follow "keep X" better than
 * silence about X.
 */
export function buildRefinementPrompt(request: Required<RefinementRequest>): string {
  const lines = [
    'Refine the attached concept image.',
    `Logo: ${request.logoDescription.trim()}`,
    `Theme: ${request.themeDescription.trim()}`,
    `Requested change: ${request.refinementPrompt.trim()}`,
  ];
  const keep = request.preserveAspects.map((a) => a.trim()).filter(Boolean);
  if (keep.length > 0) lines.push(`Keep unchanged: ${keep.join('; ')}.`);
  lines.push('Change only what is requested; keep the concept recognisable.');
  return lines.join('\n');
}

class ResponseTooLarge extends Error {}

/** Collects a body up to `maxBytes`; past it either stops quietly (error bodies) or fails. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }, maxBytes: number, { truncate }: { truncate: boolean }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body) {
    const room = maxBytes - received;
    if (chunk.length > room) {
      if (!truncate) throw new ResponseTooLarge();
      chunks.push(chunk.subarray(0, room));
      received = maxBytes;
      // Leaving the loop destroys the body; the rest of an oversized error page is not worth reading.
      break;
    }
    chunks.push(chunk);
    received += chunk.length;
  }
  return Buffer.concat(chunks, received);
}

function describeNetworkError(err: unknown): string {
  if (err instanceof undiciErrors.ConnectTimeoutError) return 'connection timed out';
  if (err instanceof undiciErrors.HeadersTimeoutError) return 'no response headers in time';
  if (err instanceof undiciErrors.BodyTimeoutError) return 'the answer stalled';
  // The code only: the message names the address and port connected to, which is for the operator.
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : 'network error';
}

function clip(text: string, max = 500): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
