/**
 * A real worker process for the integration tests: the production createRefineryWorker, plus
 *  - a journal (JSON lines) of every activity attempt, so tests can count how often each stage ran,
 *    and how often each attempt called into the SDK's heartbeat and for how long it ran;
 *  - an optional hold: the first attempt of one activity stops before or after its work and waits
 *    (heartbeating) until it is killed, cancelled, or `ms` have passed, so a test can crash or cancel
 *    the worker while that stage is in flight;
 *  - optional transient faults thrown by the adapters on their first calls;
 *  - an optional write hold: the first write onto a key containing TEST_HOLD_WRITE stops inside
 *    the write until the worker is killed (a `held` journal entry with activity `write`): for the
 *    filesystem store between the temp write and the rename, for S3 with every part of a multipart
 *    upload sent but the upload not completed.
 * Configured by the usual environment plus TEST_JOURNAL, TEST_HOLD, TEST_FAULTS (JSON) and TEST_HOLD_WRITE.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { CompleteMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { loadWorkerConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logging';
import { createRefineryWorker } from '../../src/worker/create-worker';
import { installWorkerTelemetry } from '../../src/worker/telemetry';
import { injectFaults, type FaultPlan } from './faults';

export interface HoldPlan {
  activity: string;
  when: 'before' | 'after';
  ms?: number;
  /** Waits out `ms` even when cancelled, like a refiner busy computing that never looks at the signal. */
  ignoreCancel?: boolean;
}

export interface JournalEntry {
  activity: string;
  attempt: number;
  phase: 'start' | 'held' | 'end' | 'error';
  pid: number;
  taskId?: string;
  /** On 'end' and 'error': the attempt's calls into the SDK's heartbeat, and its duration. */
  heartbeats?: number;
  ms?: number;
}

const journalFile = process.env.TEST_JOURNAL;
const hold: HoldPlan | undefined = process.env.TEST_HOLD ? JSON.parse(process.env.TEST_HOLD) : undefined;
const faults: FaultPlan = process.env.TEST_FAULTS ? JSON.parse(process.env.TEST_FAULTS) : {};

function journal(entry: Omit<JournalEntry, 'pid'>): void {
  if (journalFile) fs.appendFileSync(journalFile, JSON.stringify({ ...entry, pid: process.pid }) + '\n');
}

/**
 * Stops the worker inside one write, once: the filesystem store writes a temp file and renames it
 * over the target (held before the rename); the S3 store sends a large blob's parts and then
 * completes the multipart upload (held before the completion).
 */
function holdWritesTo(text: string): void {
  let held = false;
  const holdHere = () => {
    held = true;
    journal({ activity: 'write', attempt: 0, phase: 'held', taskId: text });
    return new Promise<never>(() => undefined);
  };
  const realRename = fsp.rename;
  fsp.rename = (async (from: Parameters<typeof realRename>[0], to: Parameters<typeof realRename>[1]) => {
    if (!held && String(to).includes(text) && !String(to).endsWith('.meta.json')) return holdHere();
    return realRename(from, to);
  }) as typeof fsp.rename;
  const realSend = S3Client.prototype.send;
  S3Client.prototype.send = function (this: S3Client, command: Parameters<S3Client['send']>[0], ...rest: unknown[]) {
    if (!held && command instanceof CompleteMultipartUploadCommand && String(command.input.Key).includes(text)) return holdHere();
    return (realSend as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof realSend;
}

async function holdHere(ctx: Context, activity: string, taskId?: string): Promise<void> {
  journal({ activity, attempt: ctx.info.attempt, phase: 'held', taskId });
  const deadline = hold?.ms === undefined ? Infinity : Date.now() + hold.ms;
  while (Date.now() < deadline) {
    ctx.heartbeat();
    if (ctx.cancellationSignal.aborted && !hold?.ignoreCancel) throw ctx.cancellationSignal.reason;
    const pause = Math.min(100, deadline - Date.now());
    // A cancelled context's sleep returns at once: a hold that outlives its cancel sleeps on its own.
    if (hold?.ignoreCancel) await new Promise((resolve) => setTimeout(resolve, pause));
    else await ctx.sleep(pause).catch(() => undefined);
  }
}

/**
 * Counts the attempt's calls into the SDK: `heartbeat()` and `Context.current().heartbeat()` both end
 * in the context's heartbeatFn (the worker's way into RxJS and Core), so it is wrapped here.
 */
function countHeartbeats(ctx: Context): () => number {
  const seam = ctx as unknown as { heartbeatFn: (details?: unknown) => void };
  const sdk = seam.heartbeatFn;
  let calls = 0;
  seam.heartbeatFn = (details) => {
    calls++;
    sdk(details);
  };
  return () => calls;
}

function interceptor(ctx: Context): ActivityInboundCallsInterceptor {
  const heartbeats = countHeartbeats(ctx);
  return {
    async execute(input, next) {
      const activity = ctx.info.activityType;
      const taskId = (input.args[0] as { taskId?: string } | undefined)?.taskId;
      const attempt = ctx.info.attempt;
      const holding = hold?.activity === activity && attempt === 1;
      const started = Date.now();
      journal({ activity, attempt, phase: 'start', taskId });
      try {
        if (holding && hold.when === 'before') await holdHere(ctx, activity, taskId);
        const result = await next(input);
        if (holding && hold.when === 'after') await holdHere(ctx, activity, taskId);
        journal({ activity, attempt, phase: 'end', taskId, heartbeats: heartbeats(), ms: Date.now() - started });
        return result;
      } catch (err) {
        journal({ activity, attempt, phase: 'error', taskId, heartbeats: heartbeats(), ms: Date.now() - started });
        throw err;
      }
    },
  };
}

async function main(): Promise<void> {
  if (process.env.TEST_HOLD_WRITE) holdWritesTo(process.env.TEST_HOLD_WRITE);
  const config = loadWorkerConfig();
  const logger = createLogger(config.logLevel, { component: 'test-worker' });
  const telemetry = await installWorkerTelemetry(config, logger);
  const refinery = await createRefineryWorker(config, {
    logger,
    spans: telemetry.tracing,
    decorateAdapters: (adapters) => injectFaults(adapters, faults),
    extra: { interceptors: { activity: [(ctx) => ({ inbound: interceptor(ctx) })] } },
  });
  process.stdout.write('worker ready\n');
  await refinery.run();
  await telemetry.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
