/**
 * A real S3-compatible server for the tests: SeaweedFS `weed server -s3` on free loopback ports, with
 * an identities file of keys made here (an admin, and a reader that may only read and list, so
 * access-denied is real), its data in a temp folder. Stopped with SIGTERM, then SIGKILL after a grace
 * period (weed does not always exit on SIGTERM).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Where the built `weed` is: $WEED, else the per-machine cache (built there on a miss, ~10 min once). */
export function weedBinary(): string {
  if (process.env.WEED) return process.env.WEED;
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-seaweedfs.sh');
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** A port whose +10000 neighbour (weed's default gRPC offset) also exists; gRPC ports are given explicitly anyway. */
async function port(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 55_000) return p;
  }
}

export class S3Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly endpoint: string,
    readonly admin: S3Credentials,
    readonly reader: S3Credentials,
    readonly logFile: string,
  ) {}

  static async start(options: { timeoutMs?: number } = {}): Promise<S3Server> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-s3-'));
    const keys = (): S3Credentials => ({ accessKeyId: `AK${randomBytes(9).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64url') });
    const admin = keys();
    const reader = keys();
    const identities = {
      identities: [
        { name: 'refinery-admin', credentials: [{ accessKey: admin.accessKeyId, secretKey: admin.secretAccessKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] },
        { name: 'refinery-reader', credentials: [{ accessKey: reader.accessKeyId, secretKey: reader.secretAccessKey }], actions: ['Read', 'List'] },
      ],
    };
    const configFile = path.join(dir, 's3-identities.json');
    fs.writeFileSync(configFile, JSON.stringify(identities));
    fs.mkdirSync(path.join(dir, 'data'));
    const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await Promise.all(Array.from({ length: 8 }, port));
    const logFile = path.join(dir, 'weed.log');
    const log = fs.openSync(logFile, 'a');
    const child = spawn(
      weedBinary(),
      [
        'server',
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        `-dir=${path.join(dir, 'data')}`,
        `-master.port=${master}`,
        `-master.port.grpc=${masterGrpc}`,
        `-volume.port=${volume}`,
        `-volume.port.grpc=${volumeGrpc}`,
        `-filer.port=${filer}`,
        `-filer.port.grpc=${filerGrpc}`,
        '-s3',
        `-s3.port=${s3}`,
        `-s3.port.grpc=${s3Grpc}`,
        `-s3.config=${configFile}`,
        // A put into a missing bucket must fail as it does on AWS, not create the bucket.
        '-s3.autoCreateBucket=false',
        // Side servers on fixed default ports would collide between concurrent instances.
        '-s3.port.iceberg=0',
        '-s3.port.lance=0',
        '-master.telemetry=false',
        '-master.volumeSizeLimitMB=64',
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const server = new S3Server(child, dir, `http://127.0.0.1:${s3}`, admin, reader, logFile);
    try {
      await server.waitUntilServing(options.timeoutMs ?? 90_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  client(credentials: S3Credentials = this.admin): S3Client {
    return new S3Client({ endpoint: this.endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  }

  async createBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  /** The S3 API answers an authenticated request (the filer and volume behind it may take a while). */
  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const client = this.client();
    try {
      for (;;) {
        if (!this.running) throw new Error(`weed exited before serving; see ${this.logFile}`);
        try {
          await client.send(new ListBucketsCommand({}));
          return;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`weed did not serve S3 within ${timeoutMs} ms (${(err as Error).message}); see ${this.logFile}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    } finally {
      client.destroy();
    }
  }

  /** SIGKILL: the server dies at once, mid-request if one is running. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 10_000);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; removes its data unless KEEP_TEST_DIRS is set. */
  async stop(graceMs = 2_000): Promise<void> {
    if (!(await this.signal('SIGTERM', graceMs))) await this.signal('SIGKILL', 10_000);
    if (!process.env.KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Sends the signal and resolves whether the process exited within `waitMs`. */
  private async signal(signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
    if (!this.running) return true;
    const exited = new Promise<boolean>((resolve) => this.child.once('exit', () => resolve(true)));
    this.child.kill(signal);
    return Promise.race([exited, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs).unref())]);
  }
}
