/**
 * The floor benchmark's worker process: the shapes of workflows.ts on a task queue, and a second
 * worker polling `<queue>-provider` (as Refinery's provider stage has its own queue).
 *   TEMPORAL_ADDRESS=... TASK_QUEUE=... node --import tsx bench/temporal-floor/worker.ts
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './activities';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const taskQueue = process.env.TASK_QUEUE!;
  const workers = await Promise.all([
    Worker.create({ connection, taskQueue, workflowsPath: require.resolve('./workflows'), activities }),
    Worker.create({ connection, taskQueue: `${taskQueue}-provider`, activities }),
  ]);
  console.log('floor worker ready');
  await Promise.all(workers.map((w) => w.run()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
