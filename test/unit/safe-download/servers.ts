/**
 * The servers safeDownload's tests download from, on 127.0.0.1: a node:http one with a path per
 * behaviour, and a bare TCP one for the answers node:http will not frame. Nothing here listens
 * anywhere but loopback.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import sharp from 'sharp';
import type { DownloadLimits } from '../../../src/config';

export const limits: DownloadLimits = {
  maxBytes: 1024 * 1024,
  maxPixels: 100_000_000,
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 2_000,
  totalTimeoutMs: 5_000,
  maxRedirects: 3,
  allowPrivateAddresses: true,
};
export const productionLimits: DownloadLimits = { ...limits, allowPrivateAddresses: false };

/** Far more than any limit here: a flood that is not cut would take the whole test timeout. */
export const FLOOD_BYTES = 256 * 1024 * 1024;

let server: http.Server;
let rawServer: net.Server;
export let base: string;
export let rawBase: string;
export let port: number;
export const images: Record<'png' | 'jpeg' | 'webp', Buffer> = {} as never;
/** Paths requested from the HTTP server, in order. */
export let requested: string[] = [];
/** Bytes each flooding response managed to send before its connection closed. */
export let floods: Promise<number>[] = [];

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

export async function listen(target: net.Server): Promise<number> {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  return (target.address() as AddressInfo).port;
}

export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the download to fail, and it succeeded');
}

/** Starts both servers before the file's tests and closes them after; each test starts with empty records. */
export function useTestServers(): void {
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
}
