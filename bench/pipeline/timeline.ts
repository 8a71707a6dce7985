/**
 * Where one refinement's time goes: its history as a timeline (each event's offset from the start,
 * as the server stamped it), beside the client's own view of start and result.
 *
 *   npx tsx bench/pipeline/timeline.ts [--runs 5] [--server-latencies]
 *
 * Runs refinements one at a time on a dev server and worker started as the benchmark starts them,
 * prints the last one's events (warm-up, JIT, connections, sticky caches, is behind it) and the CPU
 * time each process spent per refinement over the runs after the first five. `--server-latencies`
 * adds the server's own latency histograms over those runs (mean per observation, observations per
 * refinement): which part of the server a hop waits in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../../src/config';
import { writeWorkflowBundle } from '../../src/worker/bundle';
import { DevServer } from '../../test/harness/dev-server';
import { ImageServer } from '../../test/harness/image-server';
import { conceptPng } from '../../test/harness/images';
import { cpuMs, loadAverage } from './proc-stats';
import { latencyDeltas, latencySnapshot, type LatencySnapshot } from './server-latencies';
import { benchEnv, refinementClient, WorkerProcess } from './temporal-stack';

const argv = process.argv.slice(2);
const RUNS = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 30;
const SERVER_LATENCIES = argv.includes('--server-latencies');
const WARM_UP = 5;
const EventType = temporal.api.enums.v1.EventType;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-timeline-'));
  const images = await ImageServer.start();
  const url = images.serve('/small.png', { body: await conceptPng(64) });
  const [server, bundle] = await Promise.all([DevServer.start(undefined, { metrics: SERVER_LATENCIES }), writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'))]);
  const env = benchEnv({ address: server.address, taskQueue: `timeline-${process.pid}`, dir, bundle });
  const stack = await refinementClient(loadConfig(env));
  const worker = await WorkerProcess.start(env, path.join(dir, 'worker.log'));
  try {
    let taskId = '';
    let workflowId = '';
    let client = { start: 0, started: 0, result: 0 };
    let cpuBefore = { worker: 0, server: 0 };
    let latenciesBefore: LatencySnapshot = new Map();
    for (let i = 0; i < RUNS; i++) {
      if (i === WARM_UP) {
        cpuBefore = { worker: cpuMs(worker.pid), server: cpuMs(server.pid!) };
        if (SERVER_LATENCIES) latenciesBefore = await latencySnapshot(server);
      }
      taskId = `timeline-${process.pid}-${i}`;
      const t0 = performance.now();
      const started = await stack.refinements.start({ taskId, userId: 'bench', originalImageUrl: url, refinementPrompt: 'Make it autumn', logoDescription: 'A fox', themeDescription: 'Autumn' });
      const t1 = performance.now();
      await stack.refinements.result(taskId);
      client = { start: t0, started: t1, result: performance.now() };
      workflowId = started.workflowId;
    }
    const latencies = SERVER_LATENCIES ? latencyDeltas(latenciesBefore, await latencySnapshot(server), RUNS - WARM_UP) : [];
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
    const first = at(events[0]!);
    let previous = first;
    console.log(`refinement ${taskId}: ${events.length} events`);
    console.log('   offset   delta  event');
    for (const e of events) {
      const t = at(e);
      const name = EventType[e.eventType!]?.replace('EVENT_TYPE_', '') ?? String(e.eventType);
      const detail = e.activityTaskScheduledEventAttributes?.activityType?.name ?? markerName(e) ?? upserted(e) ?? '';
      console.log(`${(t - first).toFixed(1).padStart(9)} ${(t - previous).toFixed(1).padStart(7)}  ${name} ${detail}`);
      previous = t;
    }
    const total = client.result - client.start;
    const measured = RUNS - WARM_UP;
    const per = (now: number, then: number) => `${((now - then) / measured).toFixed(1)} ms`;
    console.log(`CPU per refinement (${measured} runs): worker ${per(cpuMs(worker.pid), cpuBefore.worker)}, dev server ${per(cpuMs(server.pid!), cpuBefore.server)}; load average ${loadAverage()}`);
    if (latencies.length) console.log(`server latencies (mean, observations per refinement):\n${latencies.join('\n')}`);
    console.log(`client: start answered in ${(client.started - client.start).toFixed(1)} ms; result after ${total.toFixed(1)} ms; last event at ${(previous - first).toFixed(1)} ms`);
  } finally {
    await worker.kill('SIGTERM');
    await stack.close();
    await server.stop();
    await images.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A patch marker's patch id, a local activity marker's activity type (payloads are JSON here: no codec). */
function markerName(e: HistoryEvent): string | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (!marker) return undefined;
  const field = marker.details?.[marker.markerName === 'core_patch' ? 'patch_data' : 'data']?.payloads?.[0]?.data;
  const data = field ? (JSON.parse(Buffer.from(field).toString()) as { id?: string; activityType?: string }) : {};
  return `${marker.markerName} ${data.id ?? data.activityType ?? ''}`;
}

function upserted(e: HistoryEvent): string | undefined {
  const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
  return fields ? Object.keys(fields).join(', ') : undefined;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
