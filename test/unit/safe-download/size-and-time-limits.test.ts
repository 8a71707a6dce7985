/**
 * safeDownload against servers on 127.0.0.1 that send too much or too slowly: bodies are cut at the
 * byte limit however they are framed, and every deadline and the caller's abort end a download.
 */
import net from 'node:net';
import { DownloadFailedError, DownloadTooSlowError, ImageTooLargeError } from '../../../src/errors';
import { downloadWithAddressPolicy, safeDownload } from '../../../src/adapters/http/safe-download';
import { base, failureOf, FLOOD_BYTES, floods, limits, listen, port, rawBase, requested, useTestServers } from './servers';

useTestServers();

describe('size limits', () => {
  it('cuts a chunked body without Content-Length as soon as it passes maxBytes', async () => {
    const error = await failureOf(safeDownload(`${base}/chunked-flood`, limits));
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error.message).toContain(`127.0.0.1:${port} sent more than the ${limits.maxBytes}-byte limit`);
    // Socket buffers let the server get a few MB ahead; what matters is that it was stopped.
    expect(await floods[0]).toBeLessThan(FLOOD_BYTES / 8);
  });

  it('cuts a close-delimited body (no Content-Length, no chunking) the same way', async () => {
    const error = await failureOf(safeDownload(`${rawBase}/close-delimited`, limits));
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(await floods[0]).toBeLessThan(FLOOD_BYTES / 8);
  });

  it('refuses an announced Content-Length over maxBytes before reading the body', async () => {
    const error = await failureOf(safeDownload(`${base}/announced-huge`, limits));
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error.message).toContain(`announced ${FLOOD_BYTES} bytes`);
    expect(await floods[0]).toBeLessThan(FLOOD_BYTES / 8);
  });

  it('never takes more than a lying small Content-Length, however much the server pushes', async () => {
    // HTTP/1.1 framing ends the body at the announced length; the bytes after it are a protocol
    // error on the connection, which is dropped. So a lie can only shorten the body, never grow it.
    const result = await safeDownload(`${rawBase}/lying-length`, limits);
    expect(result.data.length).toBe(1000);
    expect(await floods[0]).toBeLessThan(FLOOD_BYTES / 8);
  });
});

describe('deadlines and cancellation', () => {
  it('gives up on a server that trickles bytes forever at the overall deadline: the host’s fault, not retried', async () => {
    const started = Date.now();
    let progressCalls = 0;
    const error = await failureOf(
      safeDownload(`${base}/trickle`, { ...limits, totalTimeoutMs: 500 }, { onProgress: () => progressCalls++ }),
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(DownloadTooSlowError);
    expect((error as DownloadTooSlowError).retryable).toBe(false);
    expect(error.message).toMatch(/still arriving after the 500 ms deadline/);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_000);
    expect(progressCalls).toBeGreaterThan(0);
  });

  it('gives up on a server that never sends headers at the headers timeout', async () => {
    const started = Date.now();
    const error = await failureOf(safeDownload(`${base}/silent`, { ...limits, headersTimeoutMs: 300 }));
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect((error as DownloadFailedError).operatorDetail).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts name resolution against the connect timeout', async () => {
    const started = Date.now();
    const error = await failureOf(
      downloadWithAddressPolicy(`http://slow-dns.test:${port}/image.png`, { ...limits, connectTimeoutMs: 300 }, {
        addressPolicy: () => undefined,
        resolveHost: () => new Promise(() => undefined),
      }),
    );
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect((error as DownloadFailedError).operatorDetail).toMatch(/UND_ERR_CONNECT_TIMEOUT/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection as a transient failure that reads like any other unreachable host', async () => {
    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const error = await failureOf(safeDownload(`http://127.0.0.1:${closedPort}/image.png`, limits));
    expect(error).toBeInstanceOf(DownloadFailedError);
    // A refused port must read like a timeout or a reset: the user cannot probe ports with it.
    expect(error.message).toBe(`download from 127.0.0.1:${closedPort} failed: the host could not be reached or broke the connection`);
    expect((error as DownloadFailedError).operatorDetail).toContain('ECONNREFUSED');
  });

  it('rethrows the caller’s abort reason as is, mid-body', async () => {
    const controller = new AbortController();
    const reason = new Error('stage cancelled');
    setTimeout(() => controller.abort(reason), 200);
    const error = await failureOf(safeDownload(`${base}/trickle`, limits, { signal: controller.signal }));
    expect(error).toBe(reason);
  });

  it('does not start when the caller has already aborted', async () => {
    const reason = new Error('already cancelled');
    const error = await failureOf(safeDownload(`${base}/image.png`, limits, { signal: AbortSignal.abort(reason) }));
    expect(error).toBe(reason);
    expect(requested).toEqual([]);
  });
});
