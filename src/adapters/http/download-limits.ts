/** Limits applied to every fetch of an untrusted URL (originals, and provider answers given as URLs). */
export interface DownloadLimits {
  /** Hard cap on body bytes, enforced while streaming whatever Content-Length claims. */
  maxBytes: number;
  /** Decoded width x height cap, against decompression bombs. */
  maxPixels: number;
  connectTimeoutMs: number;
  /** Time until response headers arrive. */
  headersTimeoutMs: number;
  /** Deadline for the whole download, redirects included. */
  totalTimeoutMs: number;
  maxRedirects: number;
  /** Lets loopback/private hosts through. Off in production; the tests' loopback servers need it. */
  allowPrivateAddresses: boolean;
}
