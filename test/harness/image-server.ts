/** A real HTTP server on loopback that serves test images and misbehaves on request. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  body: Buffer;
  contentType?: string;
  /** Answer 503 this many times before answering properly. */
  failTimes?: number;
  /** Send the body in small pieces this far apart (a slow host; the download stage stays busy). */
  trickle?: { chunkBytes: number; everyMs: number };
}

export class ImageServer {
  private readonly routes = new Map<string, Route & { hits: number }>();
  private readonly server = http.createServer((req, res) => this.answer(req, res));
  /** Requests that were cut off before the body was complete (the client hung up). */
  aborted = 0;

  static async start(): Promise<ImageServer> {
    const s = new ImageServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  serve(path: string, route: Route): string {
    this.routes.set(path, { ...route, hits: 0 });
    return this.origin + path;
  }

  hits(path: string): number {
    return this.routes.get(path)?.hits ?? 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = this.routes.get(req.url ?? '');
    if (!route) return void res.writeHead(404).end('not found');
    route.hits += 1;
    if ((route.failTimes ?? 0) >= route.hits) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
    res.writeHead(200, { 'content-type': route.contentType ?? 'image/png', 'content-length': route.body.length });
    if (!route.trickle) return void res.end(route.body);
    const { chunkBytes, everyMs } = route.trickle;
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        this.aborted += 1;
        return;
      }
      res.write(route.body.subarray(offset, offset + chunkBytes));
      offset += chunkBytes;
      if (offset >= route.body.length) {
        clearInterval(timer);
        res.end();
      }
    }, everyMs);
  }
}
