/** Limits on every fetch of an untrusted URL: originals, and provider answers given as URLs. */
import { defineConcern } from './concern';
import { bool, int } from './env';

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

const variables = {
  DOWNLOAD_MAX_BYTES: int(1).default(20 * 1024 * 1024).describe('Size cap of a downloaded image (20 MiB), counted while streaming whatever `Content-Length` claims.'),
  DOWNLOAD_MAX_PIXELS: int(1).default(100_000_000).describe('Pixel cap (width × height) of any image, against decompression bombs.'),
  DOWNLOAD_CONNECT_TIMEOUT_MS: int(1).default(5_000).describe('Deadline for the TCP/TLS connection of a download.'),
  DOWNLOAD_HEADERS_TIMEOUT_MS: int(1).default(10_000).describe('Deadline for the response headers of a download.'),
  DOWNLOAD_TOTAL_TIMEOUT_MS: int(1).default(60_000).describe('Deadline of a whole download, redirects included.'),
  DOWNLOAD_MAX_REDIRECTS: int(0).default(5).describe('Redirects followed; each hop is checked again.'),
  ALLOW_PRIVATE_IMAGE_HOSTS: bool.default(false).describe('Lets downloads reach loopback/private hosts (tests and local development only).'),
};

export const downloads = defineConcern({
  title: 'Downloads',
  variables,
  options: (e): { download: DownloadLimits } => ({
    download: {
      maxBytes: e.DOWNLOAD_MAX_BYTES,
      maxPixels: e.DOWNLOAD_MAX_PIXELS,
      connectTimeoutMs: e.DOWNLOAD_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.DOWNLOAD_HEADERS_TIMEOUT_MS,
      totalTimeoutMs: e.DOWNLOAD_TOTAL_TIMEOUT_MS,
      maxRedirects: e.DOWNLOAD_MAX_REDIRECTS,
      allowPrivateAddresses: e.ALLOW_PRIVATE_IMAGE_HOSTS,
    },
  }),
});
