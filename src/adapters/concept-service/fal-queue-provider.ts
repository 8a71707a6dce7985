/**
 * fal.ai's queue as a ConceptService. From fal's queue documentation:
 *  - `POST {queue}/{model}` with the model's input as JSON, `Authorization: Key <key>`, answers
 *    `{ request_id, status_url, response_url, cancel_url }`: the request is accepted (and paid for
 *    once it runs), whatever happens to the caller afterwards;
 *  - `GET status_url` answers `{ status }`: `IN_QUEUE` (with `queue_position`), `IN_PROGRESS`, then
 *    `COMPLETED`;
 *  - `GET response_url` answers the model's output, for image models `{ images: [{ url }] }`, hosted
 *    by fal (fetched by the activity through the guarded download, without our key);
 *  - `PUT cancel_url` answers 202 `CANCELLATION_REQUESTED`, or 400 `ALREADY_COMPLETED`.
 *
 * The request id is recorded (RefineRequest.checkpoint) as soon as fal accepts it, so an attempt on
 * another worker, after a crash, a shutdown or a timeout, polls the same request instead of paying
 * for a second one.
 */
import fs from 'node:fs/promises';
import { InvalidProviderResponseError, PromptRejectedError } from '../../errors';
import {
  delegatedOutcome,
  openPromptCapabilities,
  type ConceptService,
  type ProviderCheckpoint,
  type RefinerCapabilities,
  type RefineRequest,
  type RefineResult,
} from './concept-service';
import { buildRefinementPrompt, callProvider, hostedImageUrl, parseJsonAnswer, postToProvider, redact, type ProviderHttpSettings } from './provider-http';
import { dataUri, isOnApiOrigin, providerApiUrl, runQueuedRequest, type PollOutcome } from './queue-polling';

export interface FalQueueOptions {
  apiKey: string;
  /** e.g. https://queue.fal.run; the model id is appended. */
  baseUrl: string;
  /** An image edit model taking `prompt` and `image_url`, e.g. fal-ai/flux-pro/kontext. */
  model: string;
  /** Pause between status polls. */
  pollIntervalMs: number;
  http: ProviderHttpSettings;
}

/** What a later attempt needs to pick the request up again (no key: it is in our configuration). */
interface FalCheckpoint extends ProviderCheckpoint {
  provider: 'fal';
  statusUrl: string;
  responseUrl: string;
  cancelUrl: string;
}

export class FalQueueProvider implements ConceptService {
  readonly name = 'fal';

  constructor(private readonly options: FalQueueOptions) {}

  capabilities(): RefinerCapabilities {
    return openPromptCapabilities(this.name);
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    const resumed = this.checkpointOf(request.resumeFrom);
    const url = await runQueuedRequest(
      request,
      {
        resumed,
        submit: () => this.submit(request),
        poll: (accepted, signal) => this.poll(accepted, request, signal),
        cancel: (accepted, signal) => this.cancel(accepted, request, signal),
      },
      this.options.pollIntervalMs,
    );
    const notes = [`refined by ${this.options.model} through the fal.ai queue`];
    if (resumed) notes.push(`resumed fal request ${resumed.requestId} after an interrupted attempt, without submitting it again`);
    return { kind: 'url', url, notes, outcome: delegatedOutcome(this.name) };
  }

  /** An earlier attempt's request, when it was made through this provider with the same API. */
  private checkpointOf(checkpoint: ProviderCheckpoint | undefined): FalCheckpoint | undefined {
    if (checkpoint?.provider !== this.name) return undefined;
    const { statusUrl, responseUrl, cancelUrl } = checkpoint;
    if (![statusUrl, responseUrl, cancelUrl].every((u) => isOnApiOrigin(u, this.options.baseUrl))) return undefined;
    return checkpoint as FalCheckpoint;
  }

  private async submit(request: RefineRequest): Promise<FalCheckpoint> {
    // In memory for this one request: the original is within the download limit.
    const original = await fs.readFile(request.image.path);
    const answer = await postToProvider(this.options.http, {
      ...this.call(request),
      url: new URL(`${this.options.baseUrl.replace(/\/+$/, '')}/${this.options.model.replace(/^\/+/, '')}`),
      headers: { ...this.call(request).headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: buildRefinementPrompt(request), image_url: dataUri(request.image.contentType, original), num_images: 1 }),
    });
    const json = parseJsonAnswer(this.name, answer) as { request_id?: unknown; status_url?: unknown; response_url?: unknown; cancel_url?: unknown };
    if (typeof json?.request_id !== 'string' || json.request_id === '') throw new InvalidProviderResponseError(`${this.name} accepted the request without a request_id`);
    const base = this.options.baseUrl;
    return {
      provider: 'fal',
      requestId: json.request_id,
      statusUrl: providerApiUrl(this.name, base, json.status_url, 'status_url'),
      responseUrl: providerApiUrl(this.name, base, json.response_url, 'response_url'),
      cancelUrl: providerApiUrl(this.name, base, json.cancel_url, 'cancel_url'),
    };
  }

  private async poll(accepted: FalCheckpoint, request: RefineRequest, signal: AbortSignal): Promise<PollOutcome<string>> {
    const answer = await callProvider(this.options.http, { ...this.call(request), method: 'GET', url: new URL(accepted.statusUrl), signal });
    const json = parseJsonAnswer(this.name, answer) as { status?: unknown; queue_position?: unknown; error?: unknown };
    switch (json?.status) {
      case 'IN_QUEUE':
        return { done: false, waiting: { queuePosition: typeof json.queue_position === 'number' ? json.queue_position : null, providerStatus: 'IN_QUEUE' } };
      case 'IN_PROGRESS':
        return { done: false, waiting: { queuePosition: 0, providerStatus: 'IN_PROGRESS' } };
      case 'COMPLETED':
        // A request that failed at the model also ends COMPLETED; its error shows in the status (newer
        // API) or as an error status of the response itself.
        if (typeof json.error === 'string' && json.error !== '') {
          throw new InvalidProviderResponseError(redact(`${this.name} request ${accepted.requestId} failed: ${json.error.slice(0, 500)}`, [this.options.apiKey]));
        }
        return { done: true, value: await this.result(accepted, request, signal) };
      case 'FAILED':
      case 'CANCELED':
      case 'CANCELLED':
        // Final at the provider: a retry would resume the same request and see the same end.
        throw new InvalidProviderResponseError(`${this.name} request ${accepted.requestId} ended ${String(json.status)} at the provider`);
      default:
        throw new InvalidProviderResponseError(`${this.name} answered a status poll without a known status`);
    }
  }

  private async result(accepted: FalCheckpoint, request: RefineRequest, signal: AbortSignal): Promise<string> {
    const answer = await callProvider(this.options.http, { ...this.call(request), method: 'GET', url: new URL(accepted.responseUrl), signal });
    const json = parseJsonAnswer(this.name, answer) as { images?: Array<{ url?: unknown }>; has_nsfw_concepts?: unknown };
    // Models with a safety checker answer a blacked-out image and say so here.
    if (Array.isArray(json?.has_nsfw_concepts) && json.has_nsfw_concepts[0] === true) {
      throw new PromptRejectedError(`${this.name} withheld the image, blocked by its safety checker (has_nsfw_concepts)`);
    }
    const first = Array.isArray(json?.images) ? json.images[0] : undefined;
    if (first?.url === undefined) throw new InvalidProviderResponseError(`${this.name} answered request ${accepted.requestId} without images[0].url`);
    return hostedImageUrl(this.name, first.url);
  }

  private async cancel(accepted: FalCheckpoint, request: RefineRequest, signal: AbortSignal): Promise<void> {
    // 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED (typed as a rejection, ignored by the caller).
    await callProvider({ ...this.options.http, timeoutMs: 5_000, headersTimeoutMs: 5_000 }, {
      ...this.call(request),
      method: 'PUT',
      url: new URL(accepted.cancelUrl),
      signal,
    });
  }

  /** What every call of this provider carries. */
  private call(request: RefineRequest) {
    return {
      provider: this.name,
      headers: { authorization: `Key ${this.options.apiKey}`, accept: 'application/json' },
      secrets: [this.options.apiKey],
      signal: request.signal,
      onCallEnded: request.onProviderCall,
    };
  }
}

