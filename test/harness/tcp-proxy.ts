/**
 * A TCP proxy on loopback in front of a real server (PostgreSQL, an S3 store): `close()` makes the service
 * look down (nothing listens on the port, open connections are cut), `open()` brings it back on the
 * same port. Lets a test start a process against a service that is down, then bring it up.
 */
import net from 'node:net';
import { freePort } from './ports';

export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private frozen = false;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** A proxy that starts closed: its port is chosen, nothing listens on it yet. */
  static async closed(target: { host: string; port: number }): Promise<TcpProxy> {
    return new TcpProxy(await freePort(), target);
  }

  get isOpen(): boolean {
    return this.server !== undefined;
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      if (this.frozen) return this.hold(client);
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined); // the other side's close ends both
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    this.frozen = false;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  /**
   * A frozen service: connections are still accepted, but nothing is answered, on new connections or
   * open ones (what a hung server or a black-holed network looks like). `close()` ends it; `open()`
   * forwards again, on new connections.
   */
  async freeze(): Promise<void> {
    await this.open();
    this.frozen = true;
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.removeAllListeners('data');
      socket.on('data', () => undefined);
    }
  }

  async thaw(): Promise<void> {
    if (!this.frozen) return;
    await this.close();
    await this.open();
  }

  private hold(client: net.Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    client.on('data', () => undefined); // read and dropped, never answered
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
