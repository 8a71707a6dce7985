/**
 * What both fake image providers share: a real HTTP server on loopback that records every request,
 * hosts the images it made (for URL answers), and misbehaves on request. Each fake adds only how its
 * provider's requests are parsed and how its answers are shaped.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/** What the fake does with the next request; unplanned requests get 'ok'. */
export type Behaviour =
  | { kind: 'ok' }
  /** Answers properly after `ms`. */
  | { kind: 'slow'; ms: number }
  | { kind: 'rateLimited'; retryAfter: string }
  | { kind: 'serverError' }
  /** Never answers; `closedAt` records when the client hung up. */
  | { kind: 'hang' }
  | { kind: 'html' }
  | { kind: 'truncatedPng' }
  /** The provider's error JSON with this status (400 by default). */
  | { kind: 'reject'; message: string; status?: number }
  /** The answer names an image hosted by the fake instead of carrying it; its first `failFetches` GETs answer `failStatus` (503). */
  | { kind: 'url'; failFetches?: number; failStatus?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Text fields (JSON body fields or multipart fields). */
  fields: Record<string, unknown>;
  prompt: string;
  /** The image file in the request, if it carried one. */
  image?: { data: Buffer; filename?: string; contentType?: string };
  behaviour: Behaviour['kind'];
  arrivedAt: number;
  /** When the client closed the connection before an answer was sent. */
  closedAt?: number;
  answeredAt?: number;
}

export interface ParsedRequest {
  fields: Record<string, unknown>;
  prompt: string;
  /** The image to transform: sent in the request or fetched from a URL in it. */
  image?: RecordedRequest['image'];
}

export interface ProviderDialect {
  /** The path the provider's API answers on. */
  path: string;
  parse(req: http.IncomingMessage, body: Buffer): Promise<ParsedRequest>;
  /** A success carrying the image itself. */
  imageAnswer(png: Buffer): { status: number; contentType: string; body: Buffer };
  /** A success naming a hosted image. */
  urlAnswer(url: string): { status: number; contentType: string; body: Buffer };
  /** The provider's own error JSON. */
  errorAnswer(status: number, message: string): { status: number; contentType: string; body: Buffer };
}

/** The tint every fake applies, so tests can tell the provider's image from the original. */
export const FAKE_TINT = { r: 255, g: 120, b: 0 };

export class FakeProvider {
  readonly requests: RecordedRequest[] = [];
  private readonly plan: Behaviour[] = [];
  private readonly hosted = new Map<string, Buffer>();
  private readonly hostedFailures = new Map<string, { remaining: number; status: number }>();
  /** GETs of hosted images, by path, whatever they were answered. */
  readonly hostedFetches = new Map<string, number>();
  private readonly server: http.Server;

  protected constructor(private readonly dialect: ProviderDialect) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake failed: ${err}`);
      });
    });
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests get these behaviours, in order; after them every request is answered properly. */
  willAnswer(...behaviours: Behaviour[]): this {
    this.plan.push(...behaviours);
    return this;
  }

  /** Forgets planned behaviours and recorded requests (between tests). */
  reset(): void {
    this.plan.length = 0;
    this.requests.length = 0;
    this.hostedFetches.clear();
    this.hostedFailures.clear();
  }

  async waitForRequests(count: number, timeoutMs = 30_000): Promise<RecordedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`fake received ${this.requests.length} of ${count} requests in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.requests;
  }

  async waitForClose(request: RecordedRequest, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (request.closedAt === undefined) {
      if (Date.now() > deadline) throw new Error(`the client kept the connection open for ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return request.closedAt;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const url = req.url ?? '';
    if (req.method === 'GET' && this.hosted.has(url)) {
      this.hostedFetches.set(url, (this.hostedFetches.get(url) ?? 0) + 1);
      const failure = this.hostedFailures.get(url);
      if (failure && failure.remaining > 0) {
        failure.remaining--;
        return void res.writeHead(failure.status, { 'content-type': 'text/plain' }).end('temporarily unavailable');
      }
      const png = this.hosted.get(url)!;
      return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    }
    if (req.method !== 'POST' || url !== this.dialect.path) return void res.writeHead(404).end('not found');

    const behaviour = this.plan.shift() ?? { kind: 'ok' };
    const record: RecordedRequest = {
      method: req.method,
      path: url,
      headers: req.headers,
      fields: {},
      prompt: '',
      behaviour: behaviour.kind,
      arrivedAt,
    };
    this.requests.push(record);
    // 'close' on the response before it finished means the client went away.
    res.on('close', () => {
      if (!res.writableFinished) record.closedAt = Date.now();
    });

    const body = await readBody(req);
    const parsed = await this.dialect.parse(req, body);
    Object.assign(record, parsed);

    const send = (answer: { status: number; contentType: string; body: Buffer }, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      record.answeredAt = Date.now();
      res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.body.length, ...headers });
      res.end(answer.body);
    };
    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'rateLimited':
        return send(this.dialect.errorAnswer(429, 'Rate limit reached, slow down'), { 'retry-after': behaviour.retryAfter });
      case 'serverError':
        return send(this.dialect.errorAnswer(500, 'The server had an error while processing your request'));
      case 'reject':
        return send(this.dialect.errorAnswer(behaviour.status ?? 400, behaviour.message));
      case 'html':
        return send({ status: 200, contentType: 'text/html', body: Buffer.from('<html><body>Gateway says hello</body></html>') });
      default:
        break;
    }
    if (behaviour.kind === 'slow') await new Promise((r) => setTimeout(r, behaviour.ms));
    const png = await tint(parsed.image?.data);
    if (behaviour.kind === 'truncatedPng') return send(this.dialect.imageAnswer(png.subarray(0, Math.floor(png.length / 2))));
    if (behaviour.kind === 'url') {
      const path = `/files/${this.requests.length}-${Date.now()}.png`;
      this.hosted.set(path, png);
      if (behaviour.failFetches) this.hostedFailures.set(path, { remaining: behaviour.failFetches, status: behaviour.failStatus ?? 503 });
      return send(this.dialect.urlAnswer(this.origin + path));
    }
    send(this.dialect.imageAnswer(png));
  }
}

/** The provider's "model": the original tinted orange, so the result is visibly derived from it. */
async function tint(original: Buffer | undefined): Promise<Buffer> {
  const source = original ?? (await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } }).png().toBuffer());
  return sharp(source).tint(FAKE_TINT).png().toBuffer();
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
