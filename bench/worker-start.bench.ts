/**
 * How soon a (re)started worker polls: spawn a worker process and time until the Temporal server
 * sees its pollers on both task queues (describeTaskQueue), the moment crash recovery can go on.
 * Run against a running server: `TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx bench/worker-start.bench.ts
 * [node args...]`; default `dist/worker/main.js` (the compiled worker, npm run build first).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';

const RUNS = 5;
/** temporal.api.enums.v1.TaskQueueType: WORKFLOW = 1, ACTIVITY = 2. */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;
const args = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [path.join(__dirname, '..', 'dist', 'worker', 'main.js')];
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';

async function pollersSeen(connection: Connection, taskQueue: string): Promise<boolean> {
  for (const name of [taskQueue, `${taskQueue}-provider`]) {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name },
      // The main queue's workflow pollers, the provider queue's activity pollers.
      taskQueueType: name === taskQueue ? TASK_QUEUE_TYPE.workflow : TASK_QUEUE_TYPE.activity,
    });
    if (pollers.length === 0) return false;
  }
  return true;
}

async function once(connection: Connection, run: number): Promise<number> {
  const taskQueue = `worker-start-bench-${process.pid}-${run}`;
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, SQLITE_FILE: path.join(os.tmpdir(), `bench-${process.pid}.sqlite`), LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  try {
    while (!(await pollersSeen(connection, taskQueue))) {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - started;
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const connection = await Connection.connect({ address });
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) times.push(await once(connection, run));
  times.sort((a, b) => a - b);
  console.log(`node ${args.join(' ')}: spawn to polling, ms: ${times.join(', ')} (median ${times[Math.floor(RUNS / 2)]})`);
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
