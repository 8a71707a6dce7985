/**
 * A fake Replicate predictions API, speaking the documented protocol:
 *  - `POST /v1/models/{owner}/{name}/predictions` with `{ input }` (`Authorization: Bearer <token>`)
 *    answers 201 and the prediction `{ id, status: 'starting', urls: { get, cancel }, output: null }`;
 *  - `GET /v1/predictions/{id}` answers it, `starting` for the queue steps of its plan, then
 *    `processing`, then `succeeded` with `output` the hosted image URL (or `failed` with `error`);
 *  - `POST /v1/predictions/{id}/cancel` answers it `canceled`.
 */
import type http from 'node:http';
import { FakeQueueProvider, type Job, type JobState, type QueueCall } from './fake-queue-jobs';

export class FakeReplicate extends FakeQueueProvider {
  private constructor(
    readonly model: string,
    /** The model's input field the original goes in. */
    readonly imageInput: string,
    apiToken: string,
  ) {
    super(`Bearer ${apiToken}`);
  }

  static async start(apiToken: string, model = 'black-forest-labs/flux-kontext-pro', imageInput = 'input_image'): Promise<FakeReplicate> {
    const fake = new FakeReplicate(model, imageInput, apiToken);
    await fake.listen();
    return fake;
  }

  protected async answer(req: http.IncomingMessage, body: Buffer, call: QueueCall) {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === `/v1/models/${this.model}/predictions`) {
      call.kind = 'submit';
      const refused = this.plannedSubmitFailure();
      if (refused) return refused;
      const input = (JSON.parse(body.toString('utf8')) as { input?: Record<string, unknown> }).input;
      if (!input || typeof input.prompt !== 'string') return { status: 422, body: { title: 'Invalid input', detail: 'input.prompt is required', status: 422 } };
      const job = await this.createJob(input, input[this.imageInput]);
      call.requestId = job.id;
      return { status: 201, body: this.prediction(job, { phase: 'queued', position: 0 }) };
    }
    const match = /^\/v1\/predictions\/([^/]+)(\/cancel)?$/.exec(path);
    if (!match) return undefined;
    call.requestId = match[1];
    call.kind = match[2] ? 'cancel' : 'status';
    const job = this.jobs.get(match[1]);
    if (!job) return { status: 404, body: { title: 'Not found', detail: 'Prediction not found', status: 404 } };
    if (call.kind === 'cancel' && req.method === 'POST') {
      const state = this.peek(job);
      if (state.phase !== 'done' && state.phase !== 'failed') job.cancelled = true;
      return { status: 200, body: this.prediction(job, this.peek(job)) };
    }
    if (call.kind === 'status' && req.method === 'GET') return { status: 200, body: this.prediction(job, this.advance(job)) };
    return { status: 405, body: { detail: 'Method Not Allowed' } };
  }

  private prediction(job: Job, state: JobState) {
    const status = { queued: 'starting', running: 'processing', done: 'succeeded', failed: 'failed', cancelled: 'canceled' }[state.phase];
    const flagged = job.plan.outcome === 'flagged' && state.phase === 'done';
    return {
      id: job.id,
      model: this.model,
      input: { ...job.input, [this.imageInput]: '(data URI)' },
      status: flagged ? 'failed' : status,
      output: state.phase === 'done' && !flagged ? `${this.origin}${job.resultPath}` : null,
      error: state.phase === 'failed' ? 'Prediction failed: model crashed' : flagged ? 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)' : null,
      logs: '',
      urls: { get: `${this.origin}/v1/predictions/${job.id}`, cancel: `${this.origin}/v1/predictions/${job.id}/cancel` },
      created_at: new Date().toISOString(),
    };
  }
}
