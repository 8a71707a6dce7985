import net from 'node:net';
import { freeLoopbackPort } from '../../src/runtime/free-port';

/** A port that was free a moment ago on 127.0.0.1. */
export const freePort = freeLoopbackPort;

/**
 * A free port in [low, high] on 127.0.0.1, for servers that cannot take any port: the Temporal server
 * stores its membership ports in a PostgreSQL SMALLINT, so they must stay below 32768, under the
 * kernel's ephemeral range that freePort() draws from.
 */
export async function freePortInRange(low: number, high: number): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${low}-${high} after 200 tries`);
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
