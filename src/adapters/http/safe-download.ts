/**
 * Downloads an image from a URL that a user gave us, without letting that URL reach our own network
 * (SSRF), exhaust memory or hold a worker forever.
 *
 * - Every address is checked before we connect: IP-literal hosts here (undici skips `lookup` for
 *   them), names in the Agent's `connect.lookup`, which resolves DNS itself, refuses the host if ANY
 *   answer is forbidden, and hands exactly the checked addresses to the socket, so a second
 *   resolution cannot swap in another address (DNS rebinding).
 * - Redirects are followed here, one hop at a time, so each hop goes through the same checks.
 * - Body bytes are counted as they stream in; Content-Length is only used to refuse early (and to
 *   size the buffer). safeDownloadToFile writes them to a file instead, so an image is never held whole.
 * - One deadline covers the whole download, redirects included: undici's own body timeout only
 *   measures the gap between chunks, which a server trickling a byte a second never exceeds.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import {
  BlockedAddressError,
  DownloadFailedError,
  DownloadTooSlowError,
  ImageTooLargeError,
  ImageUnavailableError,
  InvalidImageUrlError,
  RefineryError,
  describeError,
  withOperatorDetail,
} from '../../errors';
import { downloadBytes, recordDownloadRefusal } from '../../observability/metrics';
import { anyAddress, parseIpLiteral, publicAddressesOnly, type AddressPolicy } from './address-policy';
import { readBodyWithin, writeBodyWithin, type ResponseBody } from './download-body';
import type { DownloadLimits } from './download-limits';

export const MAX_URL_LENGTH = 2048;
const DEFAULT_ACCEPT = 'image/png, image/jpeg, image/webp;q=0.9, */*;q=0.1';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** 4xx answers that say "not now" rather than "never". */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);

export interface DownloadOptions {
  /** The caller's cancellation; its reason is rethrown as is. */
  signal?: AbortSignal;
  /** Total body bytes received so far, called as chunks arrive. */
  onProgress?: (bytes: number) => void;
  /** Accept header; defaults to the image formats we handle. */
  accept?: string;
}

export interface DownloadResult {
  data: Buffer;
  contentType: string | undefined;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
}

export interface FileDownloadResult {
  /** Bytes written to the file. */
  bytes: number;
  contentType: string | undefined;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
}

export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<dns.LookupAddress[]>;

export interface GuardedDownloadOptions extends DownloadOptions {
  /** Which addresses may be contacted. */
  addressPolicy: AddressPolicy;
  /** DNS resolution; replaceable so that tests can point a made-up name at a loopback server. */
  resolveHost?: HostResolver;
}

/** Fetches an untrusted image URL under `limits`; see the module comment for what is guarded. */
export function safeDownload(
  url: string,
  limits: DownloadLimits,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  return downloadWithAddressPolicy(url, limits, { ...options, addressPolicy: policyOf(limits) });
}

/**
 * safeDownload into `file` (created, or replaced), under the same guards; nothing of the body is
 * kept in memory. On failure the file is removed.
 */
export function safeDownloadToFile(
  url: string,
  limits: DownloadLimits,
  file: string,
  options: DownloadOptions = {},
): Promise<FileDownloadResult> {
  return guardedDownload(url, limits, { ...options, addressPolicy: policyOf(limits) }, async (body) => ({
    bytes: await writeBodyWithin(body, file),
  }));
}

function policyOf(limits: DownloadLimits): AddressPolicy {
  return limits.allowPrivateAddresses ? anyAddress : publicAddressesOnly;
}

/**
 * safeDownload with the address policy spelled out (`limits.allowPrivateAddresses` is ignored here).
 * Lets a test accept its loopback server as the "public" first hop and still see a redirect to
 * another internal address refused.
 */
export async function downloadWithAddressPolicy(
  url: string,
  limits: DownloadLimits,
  options: GuardedDownloadOptions,
): Promise<DownloadResult> {
  return guardedDownload(url, limits, options, async (body) => {
    const data = await readBodyWithin(body);
    return { data, bytes: data.length };
  });
}

/** The guarded fetch, redirects and all; `consume` takes the final response's body as it streams in. */
async function guardedDownload<T extends { bytes: number }>(
  url: string,
  limits: DownloadLimits,
  options: GuardedDownloadOptions,
  consume: (body: ResponseBody) => Promise<T>,
): Promise<T & { contentType: string | undefined; finalUrl: string }> {
  const callerSignal = options.signal;
  callerSignal?.throwIfAborted();
  const deadline = AbortSignal.timeout(limits.totalTimeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
  const agent = new Agent({
    connect: {
      timeout: limits.connectTimeoutMs,
      lookup: checkedLookup(options.addressPolicy, options.resolveHost ?? resolveWithSystemDns),
    },
    headersTimeout: limits.headersTimeoutMs,
    // The overall deadline is the real limit; this only keeps undici's 5-minute default out of the way.
    bodyTimeout: limits.totalTimeoutMs,
  });

  let current: URL;
  try {
    current = parseImageUrl(url);
  } catch (err) {
    recordDownloadRefusal(err);
    throw err;
  }
  /** Body bytes received when the deadline struck tell a trickling host from one that never answered. */
  let bodyBytes = 0;
  try {
    for (let redirects = 0; ; redirects++) {
      refuseForbiddenLiteral(current, options.addressPolicy);
      const response = await request(current, {
        method: 'GET',
        dispatcher: agent,
        signal,
        headers: {
          accept: options.accept ?? DEFAULT_ACCEPT,
          // Sizes must mean what arrives on the wire: no transparent decompression.
          'accept-encoding': 'identity',
          'user-agent': 'Refinery image fetcher',
        },
      });
      const location = firstHeader(response.headers.location);
      if (REDIRECT_STATUSES.has(response.statusCode) && location !== undefined) {
        discardBody(response.body);
        if (redirects >= limits.maxRedirects) {
          throw new ImageUnavailableError(`${current.host} redirected more than ${limits.maxRedirects} times`);
        }
        current = parseRedirectTarget(location, current);
        continue;
      }
      refuseUnsuccessfulStatus(response, current);
      const announced = refuseAnnouncedOversize(response, current, limits.maxBytes);
      const consumed = await consume({
        chunks: response.body,
        announced,
        maxBytes: limits.maxBytes,
        host: current.host,
        onProgress: (bytes) => {
          bodyBytes = bytes;
          options.onProgress?.(bytes);
        },
      });
      downloadBytes.inc(consumed.bytes);
      return { ...consumed, contentType: firstHeader(response.headers['content-type']), finalUrl: current.href };
    }
  } catch (err) {
    const failure = explainFailure(err, current, { callerSignal, deadline, totalTimeoutMs: limits.totalTimeoutMs, bodyBytes });
    recordDownloadRefusal(failure);
    throw failure;
  } finally {
    // Cuts whatever is still streaming (an oversized body, an abandoned redirect) at once.
    await agent.destroy().catch(() => undefined);
  }
}

/** Parses and vets a URL given to us: http(s) only, no credentials, bounded length. */
function parseImageUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw new InvalidImageUrlError(`image URL is ${raw.length} characters long; the limit is ${MAX_URL_LENGTH}`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidImageUrlError('image URL is not a valid absolute URL');
  }
  return vetUrl(url, 'image URL');
}

function parseRedirectTarget(location: string, from: URL): URL {
  const what = `redirect from ${from.host}`;
  if (location.length > MAX_URL_LENGTH) {
    throw new InvalidImageUrlError(`${what} points to a URL longer than ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw new InvalidImageUrlError(`${what} points to an invalid URL`);
  }
  return vetUrl(url, what);
}

function vetUrl(url: URL, what: string): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidImageUrlError(`${what} uses the ${url.protocol} scheme; only http and https are allowed`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidImageUrlError(`${what} for ${url.host} carries credentials`);
  }
  return url;
}

/** IP-literal hosts never reach `connect.lookup`, so they are judged here. */
export function refuseForbiddenLiteral(url: URL, policy: AddressPolicy): void {
  const literal = parseIpLiteral(url.hostname);
  const reason = literal && policy(literal);
  if (reason) throw new BlockedAddressError(`refusing to contact ${url.host}: ${reason}`);
}

export function resolveWithSystemDns(hostname: string, family: 0 | 4 | 6): Promise<dns.LookupAddress[]> {
  return dns.promises.lookup(hostname, { all: true, family });
}

/**
 * A `net.connect` lookup that resolves the name once, refuses it if any answer is forbidden (an
 * attacker's DNS may mix a public and an internal address), and connects only to what it checked.
 */
export function checkedLookup(policy: AddressPolicy, resolveHost: HostResolver): LookupFunction {
  const resolveAndCheck = async (hostname: string, family: 0 | 4 | 6): Promise<dns.LookupAddress[]> => {
    const addresses = await resolveHost(hostname, family);
    if (addresses.length === 0) throw new DownloadFailedError(`${hostname} could not be reached`);
    for (const { address } of addresses) {
      const parsed = parseIpLiteral(address);
      const reason = parsed ? policy(parsed) : `resolver answered "${address}", which is not an IP address`;
      // The user learns which rule refused their host, not what it resolved to (that would map our
      // internal names for them); the operator's log gets the address.
      if (reason) {
        throw withOperatorDetail(
          new BlockedAddressError(`refusing to contact ${hostname}: it resolves to an address that is not public (only public unicast addresses may be contacted)`),
          `${hostname} resolved to ${reason}`,
        );
      }
    }
    return addresses;
  };
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    resolveAndCheck(hostname, family).then(
      (addresses) => {
        // With autoSelectFamily (Node's default) net asks for every address and races them itself.
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (err: Error) => callback(err, ''),
    );
  };
}

function refuseUnsuccessfulStatus(response: Dispatcher.ResponseData, url: URL): void {
  const status = response.statusCode;
  if (status >= 200 && status < 300) return;
  discardBody(response.body);
  const problem = `${url.host} answered HTTP ${status}`;
  if (status >= 500 || TRANSIENT_CLIENT_STATUSES.has(status)) {
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
function refuseAnnouncedOversize(response: Dispatcher.ResponseData, url: URL, maxBytes: number): number | undefined {
  const header = firstHeader(response.headers['content-length']);
  const announced = header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(announced) && announced > maxBytes) {
    discardBody(response.body);
    throw new ImageTooLargeError(`${url.host} announced ${announced} bytes; the limit is ${maxBytes}`);
  }
  return Number.isSafeInteger(announced) && announced >= 0 ? announced : undefined;
}

/** Retry-After is either delta-seconds or an HTTP-date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names a weekday and a month; this keeps "-5" or "2025" from passing as dates.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Drops a body we will not read. undici reports that as an abort error on the stream: expected here. */
function discardBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined).destroy();
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Turns whatever went wrong into our typed errors, except a caller's abort, which stays theirs. The
 * messages reach the user: they say what happened in terms of the URL they gave, never a resolved
 * address or a raw socket error (which would tell a refused port from a filtered one); those go to
 * the operator's log as operatorDetail.
 */
function explainFailure(
  err: unknown,
  url: URL,
  context: { callerSignal: AbortSignal | undefined; deadline: AbortSignal; totalTimeoutMs: number; bodyBytes: number },
): unknown {
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
