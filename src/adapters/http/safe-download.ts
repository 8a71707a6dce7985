/**
 * Downloads an image from a URL that a user gave us, without letting that URL reach our own network
 * (SSRF), exhaust memory or hold a worker forever.
 *
 * - Every address is checked before we connect (address-checks.ts): a host is refused if ANY of
 *   its DNS answers is forbidden, and the socket gets exactly the addresses that were checked.
 * - Redirects are followed here, one hop at a time, so each hop goes through the same checks
 *   (image-urls.ts for the URLs, address-checks.ts for the addresses).
 * - Body bytes are counted as they stream in (download-body.ts); Content-Length is only used to
 *   refuse early (and to size the buffer). safeDownloadToFile writes them to a file instead, so an
 *   image is never held whole.
 * - One deadline covers the whole download, redirects included: undici's own body timeout only
 *   measures the gap between chunks, which a server trickling a byte a second never exceeds.
 *
 * Nothing here records metrics: the worker measures downloads from outside, by wrapping
 * safeDownloadToFile (src/observability/instrumented-adapters.ts); what it counts (bytes received,
 * the rule that refused a download) is in this function's result or the error it throws.
 */
import { Agent, request } from 'undici';
import { ImageUnavailableError } from '../../errors';
import { IMAGE_ACCEPT_HEADER } from '../image-store/image-formats';
import { checkedLookup, refuseForbiddenLiteral, resolveWithSystemDns, type HostResolver } from './address-checks';
import { anyAddress, publicAddressesOnly, type AddressPolicy } from './address-policy';
import { readBodyWithin, writeBodyWithin, type ResponseBody } from './download-body';
import { discardBody, explainFailure, refuseAnnouncedOversize, refuseUnsuccessfulStatus } from './download-failures';
import { parseImageUrl, parseRedirectTarget } from './image-urls';
import { firstHeader } from './responses';
import type { DownloadLimits } from '../../config';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

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

/** The download the activities are given: safeDownloadToFile, or a decorator of it. */
export type DownloadToFile = typeof safeDownloadToFile;

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

  let current = parseImageUrl(url);
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
          accept: options.accept ?? IMAGE_ACCEPT_HEADER,
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
      return { ...consumed, contentType: firstHeader(response.headers['content-type']), finalUrl: current.href };
    }
  } catch (err) {
    throw explainFailure(err, current, { callerSignal, deadline, totalTimeoutMs: limits.totalTimeoutMs, bodyBytes });
  } finally {
    // Cuts whatever is still streaming (an oversized body, an abandoned redirect) at once.
    await agent.destroy().catch(() => undefined);
  }
}
