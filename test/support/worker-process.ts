/**
 * A real worker process for the integration tests: the production createRefineryWorker, plus
 *  - a journal (JSON lines) of every activity attempt, so tests can count how often each stage ran;
 *  - an optional hold: the first attempt of one activity stops before or after its work and waits
 *    (heartbeating) until it is killed, cancelled, or `ms` have passed, so a test can crash or cancel
 *    the worker while that stage is in flight;
 *  - optional transient faults thrown by the adapters on their first calls;
 *  - an optional write hold: the filesystem store's first rename onto a path containing
 *    TEST_HOLD_WRITE never happens, so the worker sits between the temp write and the rename (a
 *    `held` journal entry with activity `write`) until it is killed.
 * Configured by the usual environment plus TEST_JOURNAL, TEST_HOLD, TEST_FAULTS (JSON) and TEST_HOLD_WRITE.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { Runtime, type ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { createLogger, temporalLogger } from '../../src/logging';
import { createRefineryWorker } from '../../src/worker/create-worker';
import { injectFaults, type FaultPlan } from './faults';

export interface HoldPlan {
  activity: string;
  when: 'before' | 'after';
  ms?: number;
}

export interface JournalEntry {
  activity: string;
  attempt: number;
  phase: 'start' | 'held' | 'end' | 'error';
  pid: number;
  taskId?: string;
}

const journalFile = process.env.TEST_JOURNAL;
const hold: HoldPlan | undefined = process.env.TEST_HOLD ? JSON.parse(process.env.TEST_HOLD) : undefined;
const faults: FaultPlan = process.env.TEST_FAULTS ? JSON.parse(process.env.TEST_FAULTS) : {};

function journal(entry: Omit<JournalEntry, 'pid'>): void {
  if (journalFile) fs.appendFileSync(journalFile, JSON.stringify({ ...entry, pid: process.pid }) + '\n');
}

/** The store writes a temp file, then renames it over the target: stop the worker in between, once. */
function holdWritesTo(text: string): void {
  const realRename = fsp.rename;
  let held = false;
  fsp.rename = (async (from: Parameters<typeof realRename>[0], to: Parameters<typeof realRename>[1]) => {
    if (!held && String(to).includes(text) && !String(to).endsWith('.meta.json')) {
      held = true;
      journal({ activity: 'write', attempt: 0, phase: 'held', taskId: text });
      return new Promise<void>(() => undefined);
    }
    return realRename(from, to);
  }) as typeof fsp.rename;
}

async function holdHere(ctx: Context, activity: string, taskId?: string): Promise<void> {
  journal({ activity, attempt: ctx.info.attempt, phase: 'held', taskId });
  const deadline = hold?.ms === undefined ? Infinity : Date.now() + hold.ms;
  while (Date.now() < deadline) {
    ctx.heartbeat();
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    await ctx.sleep(Math.min(100, deadline - Date.now())).catch(() => undefined);
  }
}

function interceptor(ctx: Context): ActivityInboundCallsInterceptor {
  return {
    async execute(input, next) {
      const activity = ctx.info.activityType;
      const taskId = (input.args[0] as { taskId?: string } | undefined)?.taskId;
      const attempt = ctx.info.attempt;
      const holding = hold?.activity === activity && attempt === 1;
      journal({ activity, attempt, phase: 'start', taskId });
      try {
        if (holding && hold.when === 'before') await holdHere(ctx, activity, taskId);
        const result = await next(input);
        if (holding && hold.when === 'after') await holdHere(ctx, activity, taskId);
        journal({ activity, attempt, phase: 'end', taskId });
        return result;
      } catch (err) {
        journal({ activity, attempt, phase: 'error', taskId });
        throw err;
      }
    },
  };
}

async function main(): Promise<void> {
  if (process.env.TEST_HOLD_WRITE) holdWritesTo(process.env.TEST_HOLD_WRITE);
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { component: 'test-worker' });
  Runtime.install({ logger: temporalLogger(logger) });
  const refinery = await createRefineryWorker(config, {
    logger,
    decorateAdapters: (adapters) => injectFaults(adapters, faults),
    extra: { interceptors: { activity: [(ctx) => ({ inbound: interceptor(ctx) })] } },
  });
  process.stdout.write('worker ready\n');
  await refinery.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
