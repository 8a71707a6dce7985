/**
 * What the fake queue providers (fal.ai's queue, Replicate's predictions) share: a real HTTP server
 * on loopback that keeps a log of every call, jobs that advance one step per status poll along a
 * planned course (places in the queue, polls in progress, then an outcome), holding a job where it is
 * until released, and the result images it hosts. Each fake adds only its routes and answer shapes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { FAKE_TINT } from './fake-provider';

/** How a job goes, one step per status poll. */
export interface JobPlan {
  /** Places in the queue, one per poll (e.g. [3, 2, 1]). */
  queue?: number[];
  /** Polls answered "in progress" after the queue. */
  inProgressPolls?: number;
  /** How it ends: done with the tinted image (default), failed, or done with its image flagged by a safety checker. */
  outcome?: 'ok' | 'failed' | 'flagged';
  /** Stays at its last queue place (or in progress) until release(); for crashes and cancels mid-wait. */
  hold?: boolean;
}

export type JobState = { phase: 'queued'; position: number } | { phase: 'running' } | { phase: 'done' } | { phase: 'failed' } | { phase: 'cancelled' };

export interface Job {
  id: string;
  plan: JobPlan;
  polls: number;
  held: boolean;
  cancelled: boolean;
  input: Record<string, unknown>;
  /** The original the request carried (decoded from its data URI). */
  original?: Buffer;
  resultPath?: string;
}

export interface QueueCall {
  kind: 'submit' | 'status' | 'result' | 'cancel' | 'file' | 'other';
  method: string;
  path: string;
  requestId?: string;
  at: number;
  /** The HTTP status the fake answered. */
  status?: number;
  authorization?: string;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

export abstract class FakeQueueProvider {
  readonly calls: QueueCall[] = [];
  readonly jobs = new Map<string, Job>();
  private readonly plans: JobPlan[] = [];
  /** Failures planned for the next submissions (e.g. a 429 with Retry-After), before jobs are made. */
  private readonly submitFailures: Answer[] = [];
  private readonly files = new Map<string, Buffer>();
  private nextId = 1;
  private readonly server = http.createServer((req, res) => {
    this.route(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake failed: ${err}`);
    });
  });

  protected constructor(
    /** The credential the fake expects in `Authorization`, whole (e.g. `Key abc:def`). */
    private readonly authorization: string,
  ) {}

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next submissions' jobs follow these plans, in order; later ones complete at once. */
  willRun(...plans: JobPlan[]): this {
    this.plans.push(...plans);
    return this;
  }

  /** The next submissions fail with these answers (status, body, headers) before any job is made. */
  willRefuseSubmission(...answers: Answer[]): this {
    this.submitFailures.push(...answers);
    return this;
  }

  submissions(): QueueCall[] {
    return this.calls.filter((c) => c.kind === 'submit' && c.status !== undefined && c.status < 300);
  }

  callsOf(kind: QueueCall['kind']): QueueCall[] {
    return this.calls.filter((c) => c.kind === kind);
  }

  /** Lets a held job go on along its plan. */
  release(id?: string): void {
    for (const job of this.jobs.values()) if (id === undefined || job.id === id) job.held = false;
  }

  reset(): void {
    this.calls.length = 0;
    this.plans.length = 0;
    this.submitFailures.length = 0;
    this.jobs.clear();
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake queue: ${what} did not happen within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Where a job stands now; each status poll moves it one step on, except a held job's last step before its end. */
  protected advance(job: Job): JobState {
    const state = this.stateAt(job, job.polls);
    const next = this.stateAt(job, job.polls + 1);
    if (!(job.held && (next.phase === 'done' || next.phase === 'failed'))) job.polls++;
    return state;
  }

  /** Where a job stands without moving it. */
  protected peek(job: Job): JobState {
    return this.stateAt(job, job.polls);
  }

  private stateAt(job: Job, polls: number): JobState {
    if (job.cancelled) return { phase: 'cancelled' };
    const queue = job.plan.queue ?? [];
    if (polls < queue.length) return { phase: 'queued', position: queue[polls] };
    if (polls < queue.length + (job.plan.inProgressPolls ?? 0)) return { phase: 'running' };
    return job.plan.outcome === 'failed' ? { phase: 'failed' } : { phase: 'done' };
  }

  /** Makes a job for a submission; its result image is the original tinted (or black when flagged). */
  protected async createJob(input: Record<string, unknown>, imageUri: unknown): Promise<Job> {
    const plan = this.plans.shift() ?? {};
    const job: Job = { id: `req-${this.nextId++}-${Date.now()}`, plan, polls: 0, held: plan.hold ?? false, cancelled: false, input };
    if (typeof imageUri === 'string') {
      const match = /^data:([^;,]+);base64,(.*)$/s.exec(imageUri);
      if (match) job.original = Buffer.from(match[2], 'base64');
    }
    const result = await resultImage(job.original, plan.outcome === 'flagged');
    job.resultPath = `/files/${job.id}.png`;
    this.files.set(job.resultPath, result);
    this.jobs.set(job.id, job);
    return job;
  }

  /** Takes the next planned submission failure, if any. */
  protected plannedSubmitFailure(): Answer | undefined {
    return this.submitFailures.shift();
  }

  /** The provider's routes; answers undefined for a path it does not know. */
  protected abstract answer(req: http.IncomingMessage, body: Buffer, call: QueueCall): Promise<Answer | undefined>;

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '';
    const call: QueueCall = { kind: 'other', method: req.method ?? '', path, at: Date.now(), authorization: req.headers.authorization };
    this.calls.push(call);
    let answer: Answer | undefined;
    if (req.method === 'GET' && this.files.has(path)) {
      call.kind = 'file';
      const png = this.files.get(path)!;
      call.status = 200;
      return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    }
    if (req.headers.authorization !== this.authorization) answer = { status: 401, body: { detail: 'Unauthorized: invalid credentials' } };
    else answer = (await this.answer(req, Buffer.concat(chunks), call)) ?? { status: 404, body: { detail: 'Not Found' } };
    call.status = answer.status;
    const body = Buffer.from(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    const type = typeof answer.body === 'string' ? 'text/html' : 'application/json';
    res.writeHead(answer.status, { 'content-type': type, 'content-length': body.length, ...answer.headers }).end(body);
  }
}

async function resultImage(original: Buffer | undefined, flagged: boolean): Promise<Buffer> {
  const source = original ?? (await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } }).png().toBuffer());
  // A safety checker's answer: the same size, blacked out.
  if (flagged) return sharp(source).linear(0, 0).png().toBuffer();
  return sharp(source).tint(FAKE_TINT).png().toBuffer();
}
