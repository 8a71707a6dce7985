/**
 * The child process the local refiner runs a large image's pixel work in (refinement-job.ts), so
 * that a cancel can stop it at once: libvips cannot be interrupted inside a pipeline, but a
 * process can be killed. Receives one job over IPC, answers with progress messages and one
 * result or error, and exits.
 */
import { runRefinementJob, type JobResult, type RefinementJob } from './refinement-job';

export type ChildMessage =
  | { type: 'step' }
  | { type: 'done'; result: JobResult }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

process.once('message', (job: RefinementJob) => {
  void runRefinementJob(job, () => void send({ type: 'step' }))
    .then((result) => send({ type: 'done', result }))
    .catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      return send({ type: 'failed', error: { name: error.constructor.name, message: error.message, stack: error.stack } });
    })
    .finally(() => process.disconnect());
});
