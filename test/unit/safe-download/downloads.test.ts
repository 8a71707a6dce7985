/**
 * safeDownload against real HTTP servers on 127.0.0.1, when the answer is one it takes: the body in
 * memory or in a file, and how each HTTP status it refuses maps to an error.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import nodePath from 'node:path';
import { DownloadFailedError, ImageTooLargeError, ImageUnavailableError } from '../../../src/errors';
import type { HostResolver } from '../../../src/adapters/http/address-checks';
import { parseRetryAfter } from '../../../src/adapters/http/responses';
import { downloadWithAddressPolicy, safeDownload, safeDownloadToFile } from '../../../src/adapters/http/safe-download';
import { base, failureOf, FLOOD_BYTES, floods, images, limits, port, requested, useTestServers } from './servers';

useTestServers();

describe('downloads', () => {
  it.each([
    ['png', '/image.png', 'image/png'],
    ['jpeg', '/image.jpg', 'image/jpeg'],
    ['webp', '/image.webp', 'image/webp'],
  ] as const)('returns a %s image with its content type and reports progress', async (format, path, type) => {
    const progress: number[] = [];
    const result = await safeDownload(`${base}${path}`, limits, { onProgress: (bytes) => progress.push(bytes) });
    expect(result.data.equals(images[format])).toBe(true);
    expect(result.contentType).toBe(type);
    expect(result.finalUrl).toBe(`${base}${path}`);
    expect(progress.at(-1)).toBe(images[format].length);
  });

  it('accepts a body of exactly maxBytes', async () => {
    const result = await safeDownload(`${base}/exactly-max`, limits);
    expect(result.data.length).toBe(limits.maxBytes);
  });

  it('follows relative and absolute redirects, and reports the final URL', async () => {
    const result = await safeDownload(`${base}/hop1`, limits);
    expect(result.data.equals(images.png)).toBe(true);
    expect(result.finalUrl).toBe(`${base}/image.png`);
    expect(requested).toEqual(['/hop1', '/hop2', '/image.png']);
  });

  it('connects to the address its own lookup checked, keeping the name in the Host header', async () => {
    const resolveHost: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const result = await downloadWithAddressPolicy(`http://images.test:${port}/host`, limits, {
      addressPolicy: () => undefined,
      resolveHost,
    });
    expect(result.data.toString()).toBe(`images.test:${port}`);
  });

  it('asks for images, or what the caller accepts, and for no content encoding', async () => {
    const sent = async (accept?: string) =>
      JSON.parse((await safeDownload(`${base}/headers`, limits, { accept })).data.toString()) as Record<string, string>;
    expect(await sent()).toMatchObject({ accept: expect.stringContaining('image/png'), 'accept-encoding': 'identity' });
    expect((await sent('application/json')).accept).toBe('application/json');
  });
});

describe('downloads into a file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), 'safe-download-test-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));
  const exists = (file: string) => fs.access(file).then(() => true, () => false);

  it('writes the body, replacing what the file held, and reports its size, type and final URL', async () => {
    const file = nodePath.join(dir, 'redirected.png');
    await fs.writeFile(file, Buffer.alloc(100_000, 9));
    const progress: number[] = [];

    const result = await safeDownloadToFile(`${base}/hop1`, limits, file, { onProgress: (bytes) => progress.push(bytes) });

    expect(result).toEqual({ bytes: images.png.length, contentType: 'image/png', finalUrl: `${base}/image.png` });
    expect((await fs.readFile(file)).equals(images.png)).toBe(true);
    expect(progress.at(-1)).toBe(images.png.length);
  });

  it('takes a body of exactly maxBytes, and removes the file of one that passes it', async () => {
    const exact = nodePath.join(dir, 'exact');
    await expect(safeDownloadToFile(`${base}/exactly-max`, limits, exact)).resolves.toMatchObject({ bytes: limits.maxBytes });
    expect((await fs.stat(exact)).size).toBe(limits.maxBytes);

    const flood = nodePath.join(dir, 'flood');
    const error = await failureOf(safeDownloadToFile(`${base}/chunked-flood`, limits, flood));
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(await floods[0]).toBeLessThan(FLOOD_BYTES / 8);
    expect(await exists(flood)).toBe(false);
  });

  it('creates no file for a refused answer, and removes it when the caller aborts mid-body', async () => {
    const missing = nodePath.join(dir, 'missing');
    expect(await failureOf(safeDownloadToFile(`${base}/missing`, limits, missing))).toBeInstanceOf(ImageUnavailableError);
    expect(await exists(missing)).toBe(false);

    const controller = new AbortController();
    const reason = new Error('stage cancelled');
    setTimeout(() => controller.abort(reason), 200);
    const trickled = nodePath.join(dir, 'trickled');
    expect(await failureOf(safeDownloadToFile(`${base}/trickle`, limits, trickled, { signal: controller.signal }))).toBe(reason);
    expect(await exists(trickled)).toBe(false);
  });
});

describe('HTTP status mapping', () => {
  it('maps 404 to ImageUnavailableError, naming the host but not the query string', async () => {
    const error = await failureOf(safeDownload(`${base}/missing?token=s3cret`, limits));
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect(error.message).toBe(`127.0.0.1:${port} answered HTTP 404`);
  });

  it.each(['/forbidden', '/moved-nowhere'])('maps %s to the permanent ImageUnavailableError', async (path) => {
    const error = await failureOf(safeDownload(`${base}${path}`, limits));
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect((error as ImageUnavailableError).retryable).toBe(false);
  });

  it('maps 503 to DownloadFailedError with Retry-After seconds', async () => {
    const error = await failureOf(safeDownload(`${base}/busy`, limits));
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect((error as DownloadFailedError).retryable).toBe(true);
    expect((error as DownloadFailedError).retryAfterMs).toBe(7_000);
  });

  it('maps 429 to DownloadFailedError with a Retry-After HTTP-date', async () => {
    const error = (await failureOf(safeDownload(`${base}/rate-limited`, limits))) as DownloadFailedError;
    expect(error).toBeInstanceOf(DownloadFailedError);
    // HTTP-dates have whole seconds.
    expect(error.retryAfterMs).toBeGreaterThan(28_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it.each(['/broken', '/request-timeout'])('maps %s to DownloadFailedError without a delay', async (path) => {
    const error = (await failureOf(safeDownload(`${base}${path}`, limits))) as DownloadFailedError;
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('parses Retry-After forms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
