/**
 * A fake fal.ai queue, speaking the documented protocol:
 *  - `POST /{model}` (JSON input, `Authorization: Key <key>`) answers `{ request_id, status_url,
 *    response_url, cancel_url }`, the URLs under the app id (the model's first two path segments);
 *  - `GET /{app}/requests/{id}/status` answers `IN_QUEUE` with `queue_position`, `IN_PROGRESS`, then
 *    `COMPLETED` (with `error` when the model failed), one step per poll (see fake-queue-jobs.ts);
 *  - `GET /{app}/requests/{id}` answers `{ images: [{ url, content_type }],
 *    has_nsfw_concepts }`, the image (the original tinted) hosted by the fake; 400 before completion;
 *  - `PUT /{app}/requests/{id}/cancel` answers 202 `CANCELLATION_REQUESTED`, or 400 `ALREADY_COMPLETED`.
 */
import type http from 'node:http';
import { FakeQueueProvider, type Job, type QueueCall } from './fake-queue-jobs';

export class FakeFalQueue extends FakeQueueProvider {
  /** Status polls answered with this HTTP status before the job is looked at. */
  private readonly statusFailures: number[] = [];

  private constructor(
    readonly apiKey: string,
    readonly model: string,
  ) {
    super(`Key ${apiKey}`);
  }

  static async start(apiKey: string, model = 'fal-ai/flux-pro/kontext'): Promise<FakeFalQueue> {
    const fake = new FakeFalQueue(apiKey, model);
    await fake.listen();
    return fake;
  }

  /** The next status polls answer these HTTP statuses (e.g. 503) instead of the job's state. */
  willFailStatusPolls(...statuses: number[]): this {
    this.statusFailures.push(...statuses);
    return this;
  }

  /** The request URLs fal gives out are under the app id, not the full model path. */
  private get app(): string {
    return this.model.split('/').slice(0, 2).join('/');
  }

  requestUrls(job: Job) {
    const base = `${this.origin}/${this.app}/requests/${job.id}`;
    return { request_id: job.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }

  protected async answer(req: http.IncomingMessage, body: Buffer, call: QueueCall) {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === `/${this.model}`) {
      call.kind = 'submit';
      const refused = this.plannedSubmitFailure();
      if (refused) return refused;
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        return { status: 422, body: { detail: [{ loc: ['body'], msg: 'Invalid JSON', type: 'value_error' }] } };
      }
      if (typeof input.prompt !== 'string' || typeof input.image_url !== 'string') {
        return { status: 422, body: { detail: [{ loc: ['body', 'image_url'], msg: 'field required', type: 'value_error.missing' }] } };
      }
      const job = await this.createJob(input, input.image_url);
      call.requestId = job.id;
      return { status: 200, body: { status: 'IN_QUEUE', queue_position: job.plan.queue?.[0] ?? 0, ...this.requestUrls(job) } };
    }
    const match = new RegExp(`^/${this.app}/requests/([^/]+)(/status|/cancel)?$`).exec(path);
    const job = match ? this.jobs.get(match[1]) : undefined;
    if (!match) return undefined;
    call.requestId = match[1];
    call.kind = match[2] === '/status' ? 'status' : match[2] === '/cancel' ? 'cancel' : 'result';
    if (!job) return { status: 404, body: { detail: `Request ${match[1]} not found` } };
    const urls = this.requestUrls(job);

    if (call.kind === 'status' && req.method === 'GET') {
      const failure = this.statusFailures.shift();
      if (failure) return { status: failure, body: { detail: 'Service temporarily unavailable' } };
      const state = this.advance(job);
      switch (state.phase) {
        case 'queued':
          return { status: 202, body: { status: 'IN_QUEUE', queue_position: state.position, response_url: urls.response_url } };
        case 'running':
          return { status: 202, body: { status: 'IN_PROGRESS', response_url: urls.response_url, logs: null } };
        case 'done':
          return { status: 200, body: { status: 'COMPLETED', response_url: urls.response_url, logs: null, metrics: { inference_time: 1.5 } } };
        case 'failed':
          return { status: 200, body: { status: 'COMPLETED', response_url: urls.response_url, error: 'Model runner failed: CUDA out of memory', error_type: 'runner_error' } };
        case 'cancelled':
          return { status: 200, body: { status: 'COMPLETED', response_url: urls.response_url, error: 'Request was cancelled', error_type: 'cancelled' } };
      }
    }
    if (call.kind === 'cancel' && req.method === 'PUT') {
      const state = this.peek(job);
      if (state.phase === 'done' || state.phase === 'failed') return { status: 400, body: { status: 'ALREADY_COMPLETED' } };
      job.cancelled = true;
      return { status: 202, body: { status: 'CANCELLATION_REQUESTED' } };
    }
    if (call.kind === 'result' && req.method === 'GET') {
      const state = this.peek(job);
      if (state.phase === 'failed') return { status: 500, body: { detail: 'Model runner failed: CUDA out of memory' } };
      if (state.phase !== 'done') return { status: 400, body: { detail: 'Request is still in progress' } };
      return {
        status: 200,
        body: {
          images: [{ url: `${this.origin}${job.resultPath}`, content_type: 'image/png' }],
          has_nsfw_concepts: [job.plan.outcome === 'flagged'],
          prompt: job.input.prompt,
          seed: 42,
        },
      };
    }
    return { status: 405, body: { detail: 'Method Not Allowed' } };
  }
}
