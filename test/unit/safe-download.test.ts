/**
 * safeDownload against real HTTP servers on 127.0.0.1. Refused addresses are refused before any
 * packet leaves: nothing here connects anywhere but loopback.
 */
import dns from 'node:dns';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import nodePath from 'node:path';
import type { Writable } from 'node:stream';
import sharp from 'sharp';
import {
  BlockedAddressError,
  DownloadFailedError,
  DownloadTooSlowError,
  ImageTooLargeError,
  ImageUnavailableError,
  InvalidImageUrlError,
} from '../../src/errors';
import {
  isPublicAddress,
  parseIpLiteral,
  publicAddressesOnly,
  type AddressPolicy,
} from '../../src/adapters/http/address-policy';
import type { DownloadLimits } from '../../src/config';
import type { HostResolver } from '../../src/adapters/http/address-checks';
import { parseRetryAfter } from '../../src/adapters/http/responses';
import { downloadWithAddressPolicy, safeDownload, safeDownloadToFile } from '../../src/adapters/http/safe-download';

const limits: DownloadLimits = {
  maxBytes: 1024 * 1024,
  maxPixels: 100_000_000,
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 2_000,
  totalTimeoutMs: 5_000,
  maxRedirects: 3,
  allowPrivateAddresses: true,
};
const productionLimits: DownloadLimits = { ...limits, allowPrivateAddresses: false };

/** Far more than any limit here: a flood that is not cut would take the whole test timeout. */
const FLOOD_BYTES = 256 * 1024 * 1024;

let server: http.Server;
let rawServer: net.Server;
let base: string;
let rawBase: string;
let port: number;
const images: Record<'png' | 'jpeg' | 'webp', Buffer> = {} as never;
/** Paths requested from the HTTP server, in order. */
let requested: string[] = [];
/** Bytes each flooding response managed to send before its connection closed. */
let floods: Promise<number>[] = [];

function floodUntilClosed(out: Writable, totalBytes: number): Promise<number> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 0xab);
    let sent = 0;
    const pump = () => {
      while (sent < totalBytes && !out.destroyed) {
        sent += chunk.length;
        if (!out.write(chunk)) return void out.once('drain', pump);
      }
      if (sent >= totalBytes) out.end();
    };
    out.on('error', () => undefined);
    out.on('close', () => resolve(sent));
    pump();
  });
}

function trickleForever(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'image/png' });
  const timer = setInterval(() => res.write('x'), 50);
  res.on('close', () => clearInterval(timer));
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', base);
  requested.push(url.pathname);
  const send = (status: number, headers: http.OutgoingHttpHeaders = {}, body: Buffer | string = ''): void => {
    res.writeHead(status, headers).end(body);
  };
  switch (url.pathname) {
    case '/image.png':
      return send(200, { 'content-type': 'image/png' }, images.png);
    case '/image.jpg':
      return send(200, { 'content-type': 'image/jpeg' }, images.jpeg);
    case '/image.webp':
      return send(200, { 'content-type': 'image/webp' }, images.webp);
    case '/host':
      return send(200, { 'content-type': 'text/plain' }, req.headers.host ?? '');
    case '/headers':
      return send(200, { 'content-type': 'application/json' }, JSON.stringify(req.headers));
    case '/hop1':
      return send(302, { location: '/hop2' });
    case '/hop2':
      return send(301, { location: `${base}/image.png` });
    case '/loop':
      return send(302, { location: '/loop' });
    case '/redirect-to':
      return send(307, { location: url.searchParams.get('target') ?? '/' });
    case '/moved-nowhere':
      return send(302);
    case '/missing':
      return send(404, {}, 'no such image');
    case '/forbidden':
      return send(403);
    case '/busy':
      return send(503, { 'retry-after': '7' });
    case '/rate-limited':
      return send(429, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() });
    case '/broken':
      return send(500);
    case '/request-timeout':
      return send(408);
    case '/exactly-max':
      // No Content-Length: node sends it chunked, so only counting can enforce the limit.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(Buffer.alloc(limits.maxBytes, 1));
    case '/chunked-flood':
      res.writeHead(200, { 'content-type': 'image/png' });
      return void floods.push(floodUntilClosed(res, FLOOD_BYTES));
    case '/announced-huge':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(FLOOD_BYTES) });
      return void floods.push(floodUntilClosed(res, FLOOD_BYTES));
    case '/trickle':
      return trickleForever(res);
    case '/silent':
      return; // never answers: the headers timeout must end it
    default:
      return send(404);
  }
}

/**
 * Node's HTTP server will not frame a body that contradicts its own headers, so the lying and the
 * close-delimited responses come from a bare TCP server.
 */
function handleRaw(socket: net.Socket): void {
  socket.on('error', () => undefined);
  socket.once('data', (request) => {
    const path = request.toString('latin1').split(' ')[1];
    if (path === '/lying-length') {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n');
    } else {
      // HTTP/1.0 style: no Content-Length, no chunking, the body ends when the connection does.
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n');
    }
    floods.push(floodUntilClosed(socket, FLOOD_BYTES));
  });
}

async function listen(target: net.Server): Promise<number> {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  return (target.address() as AddressInfo).port;
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the download to fail, and it succeeded');
}

beforeAll(async () => {
  const noise = {
    width: 64,
    height: 48,
    channels: 3 as const,
    background: '#000',
    noise: { type: 'gaussian' as const, mean: 128, sigma: 40 },
  };
  images.png = await sharp({ create: noise }).png().toBuffer();
  images.jpeg = await sharp({ create: noise }).jpeg().toBuffer();
  images.webp = await sharp({ create: noise }).webp().toBuffer();
  server = http.createServer(handle);
  port = await listen(server);
  base = `http://127.0.0.1:${port}`;
  rawServer = net.createServer(handleRaw);
  rawBase = `http://127.0.0.1:${await listen(rawServer)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => rawServer.close(resolve));
});

beforeEach(() => {
  requested = [];
  floods = [];
});

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

describe('address policy', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['10.1', '10.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['[::1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
  ])('reads the host literal %s as %s, as does the URL parser', (literal, address) => {
    expect(parseIpLiteral(literal)?.toString()).toBe(address);
    // WHATWG URL rewrites every IPv4 notation to a dotted quad before undici sees it.
    const hostname = new URL(`http://${literal}/`).hostname.replace(/^\[|\]$/g, '');
    expect(parseIpLiteral(hostname)?.toString()).toBe(address);
  });

  it('treats names as names', () => {
    expect(parseIpLiteral('images.example.com')).toBeUndefined();
    expect(parseIpLiteral('localhost')).toBeUndefined();
    expect(parseIpLiteral('1.2.3.4.example')).toBeUndefined();
  });

  it.each([
    '127.0.0.1', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '255.255.255.255', '224.0.0.1', '192.0.2.1',
    '::', '::1', 'fe80::1', 'fd00::1', 'ff02::1', '::ffff:7f00:1', '::ffff:a00:1', '::ffff:0:7f00:1',
    '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::808:808', '::7f00:1',
    '2002:7f00:1::', '2002:c0a8:101::', '2001:0:4136:e378:8000:63bf:80ff:fffe', '2001:db8::1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:808:808', '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('SSRF refusals with allowPrivateAddresses=false', () => {
  it.each([
    'http://127.0.0.1/',
    'http://localhost/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://172.16.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[fe80::1]/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0x7f.0.0.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://10.1/',
    'https://127.0.0.1/',
  ])('refuses %s', async (url) => {
    const error = await failureOf(safeDownload(url, productionLimits));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error.message).toMatch(/refusing to contact/);
  });

  it('refuses the loopback test server itself, before sending it anything', async () => {
    const error = await failureOf(safeDownload(`${base}/image.png`, productionLimits));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error.message).toContain('loopback');
    expect(requested).toEqual([]);
  });

  it('refuses a name that resolves to loopback (localhost, through the system resolver)', async () => {
    const error = await failureOf(safeDownload(`http://localhost:${port}/image.png`, productionLimits));
    expect(error).toBeInstanceOf(BlockedAddressError);
    // The user learns the rule, not what the name resolved to; the operator's log gets the address.
    expect(error.message).toBe(
      'refusing to contact localhost: it resolves to an address that is not public (only public unicast addresses may be contacted)',
    );
    expect(error.message).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    expect((error as BlockedAddressError).operatorDetail).toMatch(/(127\.0\.0\.1|::1) is in the loopback range/);
    expect(requested).toEqual([]);
  });

  it('refuses a name if any one of its addresses is internal', async () => {
    const resolveHost: HostResolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ];
    const error = await failureOf(
      downloadWithAddressPolicy('http://mixed.test/image.png', productionLimits, {
        addressPolicy: publicAddressesOnly,
        resolveHost,
      }),
    );
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error.message).not.toContain('10.1.2.3');
    expect((error as BlockedAddressError).operatorDetail).toContain('10.1.2.3');
  });

  describe('redirects to internal addresses', () => {
    // The test server stands in for a public host: this policy treats 127.0.0.1, and only it, as
    // public, and judges every other address like production does.
    const loopbackServerIsPublic: AddressPolicy = (address) =>
      address.toString() === '127.0.0.1' ? undefined : publicAddressesOnly(address);
    const resolveHost: HostResolver = async (hostname, family) => {
      if (hostname === 'public.test') return [{ address: '127.0.0.1', family: 4 }];
      if (hostname === 'internal.test') return [{ address: '10.0.0.5', family: 4 }];
      return dns.promises.lookup(hostname, { all: true, family });
    };
    const download = (url: string) =>
      downloadWithAddressPolicy(url, productionLimits, { addressPolicy: loopbackServerIsPublic, resolveHost });

    it('downloads from the stand-in public host', async () => {
      const result = await download(`http://public.test:${port}/image.png`);
      expect(result.data.equals(images.png)).toBe(true);
    });

    it.each([
      `http://127.0.0.2:PORT/image.png`,
      'http://[::1]:PORT/image.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://0x7f000002:PORT/image.png',
      'http://[::ffff:10.0.0.1]/',
      'http://internal.test/image.png',
    ])('refuses a redirect to %s', async (target) => {
      const location = encodeURIComponent(target.replace('PORT', String(port)));
      const error = await failureOf(download(`http://public.test:${port}/redirect-to?target=${location}`));
      expect(error).toBeInstanceOf(BlockedAddressError);
      expect(requested).toEqual(['/redirect-to']);
    });
  });
});

describe('URL vetting', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://127.0.0.1/image.png',
    'data:image/png;base64,iVBORw0KGgo=',
    'javascript:alert(1)',
    'gopher://127.0.0.1:70/',
    'ws://127.0.0.1/',
  ])('refuses the non-http URL %s', async (url) => {
    const error = await failureOf(safeDownload(url, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(error.message).toMatch(/only http and https/);
  });

  it.each(['not a url', 'http://', '//127.0.0.1/image.png', ''])('refuses the unparseable URL %j', async (url) => {
    expect(await failureOf(safeDownload(url, limits))).toBeInstanceOf(InvalidImageUrlError);
  });

  it('refuses credentials in the URL', async () => {
    const error = await failureOf(safeDownload(`http://user:secret@127.0.0.1:${port}/image.png`, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(error.message).not.toContain('secret');
    expect(requested).toEqual([]);
  });

  it('refuses a URL over 2048 characters', async () => {
    const error = await failureOf(safeDownload(`${base}/image.png?pad=${'a'.repeat(2048)}`, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(requested).toEqual([]);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const target = encodeURIComponent('file:///etc/passwd');
    const error = await failureOf(safeDownload(`${base}/redirect-to?target=${target}`, limits));
    expect(error).toBeInstanceOf(InvalidImageUrlError);
    expect(error.message).toContain(`redirect from 127.0.0.1:${port}`);
  });

  it('stops after maxRedirects hops', async () => {
    const error = await failureOf(safeDownload(`${base}/loop`, limits));
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect(error.message).toContain('redirected more than 3 times');
    expect(requested).toHaveLength(1 + limits.maxRedirects);
  });

  it('does not follow redirects at all with maxRedirects 0', async () => {
    const error = await failureOf(safeDownload(`${base}/hop1`, { ...limits, maxRedirects: 0 }));
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect(requested).toEqual(['/hop1']);
  });
});

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
