/** A real webhook receiver on loopback: records each request (headers, raw body) and answers as scripted. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Status codes to answer per path, in order (0: no answer at all); after the script runs out, `otherwise`. */
  private readonly scripts = new Map<string, { statuses: number[]; otherwise: number }>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      this.received.push({ path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const script = this.scripts.get(path);
      const status = script ? (script.statuses.shift() ?? script.otherwise) : 200;
      // 0: a receiver that never answers (the sender's deadline must end the attempt).
      if (status === 0) return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
    });
  });

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  url(path: string, statuses: number[] = [], otherwise = 200): string {
    this.scripts.set(path, { statuses: [...statuses], otherwise });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  answer(path: string, statuses: number[], otherwise = 200): void {
    this.scripts.set(path, { statuses: [...statuses], otherwise });
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async waitFor(path: string, count: number, timeoutMs = 60_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.at(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path} received ${this.at(path).length} of ${count} webhooks within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.at(path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
