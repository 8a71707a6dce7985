/**
 * Replicate's predictions as a ConceptService. From Replicate's HTTP API reference:
 *  - `POST {base}/v1/models/{owner}/{name}/predictions` with `{ input }`, `Authorization: Bearer
 *    <token>`, answers the prediction: `{ id, status, urls: { get, cancel }, output, error }`;
 *  - `GET urls.get` answers it again; `status` goes `starting` → `processing` → `succeeded`
 *    (or `failed`, `canceled`); an image model's `output` is a URL or a list of URLs;
 *  - `POST urls.cancel` cancels it.
 * Replicate gives no place in a queue: `starting` is reported without a position, `processing` as 0.
 * Inputs and outputs are deleted about an hour after the prediction ends, so the result is fetched
 * (by the activity, through the guarded download) as soon as it is there.
 *
 * The prediction id is the checkpoint (see fal-queue-provider.ts for why).
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
import { buildRefinementPrompt, callProvider, hostedImageUrl, parseJsonAnswer, postToProvider, redact, type ProviderAnswer, type ProviderHttpSettings } from './provider-http';
import { dataUri, isOnApiOrigin, providerApiUrl, runQueuedRequest, type PollOutcome } from './queue-polling';

export interface ReplicateOptions {
  apiToken: string;
  /** e.g. https://api.replicate.com */
  baseUrl: string;
  /** owner/name of an image edit model, e.g. black-forest-labs/flux-kontext-pro. */
  model: string;
  /** The model's input field that takes the original image (models name it differently). */
  imageInput: string;
  pollIntervalMs: number;
  http: ProviderHttpSettings;
}

interface ReplicateCheckpoint extends ProviderCheckpoint {
  provider: 'replicate';
  getUrl: string;
  cancelUrl: string;
}

interface Prediction {
  id?: unknown;
  status?: unknown;
  urls?: { get?: unknown; cancel?: unknown };
  output?: unknown;
  error?: unknown;
}

/** Replicate's words for flagged content (error E005 and the safety checkers' messages). */
const FLAGGED = /sensitive|nsfw|flagged|safety/i;

export class ReplicateProvider implements ConceptService {
  readonly name = 'replicate';

  constructor(private readonly options: ReplicateOptions) {}

  capabilities(): RefinerCapabilities {
    return openPromptCapabilities(this.name);
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    const resumed = this.checkpointOf(request.resumeFrom);
    const url = await runQueuedRequest(
      request,
      {
        resumed,
        submit: () => this.create(request),
        poll: (accepted, signal) => this.poll(accepted, request, signal),
        cancel: (accepted, signal) => this.cancel(accepted, request, signal),
      },
      this.options.pollIntervalMs,
    );
    const notes = [`refined by ${this.options.model} through Replicate`];
    if (resumed) notes.push(`resumed Replicate prediction ${resumed.requestId} after an interrupted attempt, without creating it again`);
    return { kind: 'url', url, notes, outcome: delegatedOutcome(this.name) };
  }

  private checkpointOf(checkpoint: ProviderCheckpoint | undefined): ReplicateCheckpoint | undefined {
    if (checkpoint?.provider !== this.name) return undefined;
    const { getUrl, cancelUrl } = checkpoint;
    return isOnApiOrigin(getUrl, this.options.baseUrl) && isOnApiOrigin(cancelUrl, this.options.baseUrl) ? (checkpoint as ReplicateCheckpoint) : undefined;
  }

  private async create(request: RefineRequest): Promise<ReplicateCheckpoint> {
    const original = await fs.readFile(request.image.path);
    const input = { prompt: buildRefinementPrompt(request), [this.options.imageInput]: dataUri(request.image.contentType, original) };
    const answer = await postToProvider(this.options.http, {
      ...this.call(request),
      url: new URL(`${this.options.baseUrl.replace(/\/+$/, '')}/v1/models/${this.options.model.replace(/^\/+/, '')}/predictions`),
      headers: { ...this.call(request).headers, 'content-type': 'application/json' },
      body: JSON.stringify({ input }),
    });
    const prediction = this.prediction(answer);
    if (typeof prediction.id !== 'string' || prediction.id === '') throw new InvalidProviderResponseError(`${this.name} created a prediction without an id`);
    return {
      provider: 'replicate',
      requestId: prediction.id,
      getUrl: providerApiUrl(this.name, this.options.baseUrl, prediction.urls?.get, 'urls.get'),
      cancelUrl: providerApiUrl(this.name, this.options.baseUrl, prediction.urls?.cancel, 'urls.cancel'),
    };
  }

  private async poll(accepted: ReplicateCheckpoint, request: RefineRequest, signal: AbortSignal): Promise<PollOutcome<string>> {
    const answer = await callProvider(this.options.http, { ...this.call(request), method: 'GET', url: new URL(accepted.getUrl), signal });
    const prediction = this.prediction(answer);
    switch (prediction.status) {
      case 'starting':
        return { done: false, waiting: { queuePosition: null, providerStatus: 'starting' } };
      case 'processing':
        return { done: false, waiting: { queuePosition: 0, providerStatus: 'processing' } };
      case 'succeeded': {
        const first = Array.isArray(prediction.output) ? prediction.output[0] : prediction.output;
        if (first === undefined || first === null) throw new InvalidProviderResponseError(`${this.name} prediction ${accepted.requestId} succeeded without an output`);
        return { done: true, value: hostedImageUrl(this.name, first) };
      }
      case 'failed': {
        const said = typeof prediction.error === 'string' ? redact(prediction.error, [this.options.apiToken]).slice(0, 500) : 'no reason given';
        // Final either way: a retry would resume the same prediction and see the same end.
        if (FLAGGED.test(said)) throw new PromptRejectedError(`${this.name} refused the prediction, blocked by its safety checks: ${said}`);
        throw new InvalidProviderResponseError(`${this.name} prediction ${accepted.requestId} failed: ${said}`);
      }
      case 'canceled':
        throw new InvalidProviderResponseError(`${this.name} prediction ${accepted.requestId} was canceled at the provider`);
      default:
        throw new InvalidProviderResponseError(`${this.name} answered a prediction without a known status`);
    }
  }

  private async cancel(accepted: ReplicateCheckpoint, request: RefineRequest, signal: AbortSignal): Promise<void> {
    await callProvider({ ...this.options.http, timeoutMs: 5_000, headersTimeoutMs: 5_000 }, {
      ...this.call(request),
      method: 'POST',
      url: new URL(accepted.cancelUrl),
      signal,
    });
  }

  private prediction(answer: ProviderAnswer): Prediction {
    const json = parseJsonAnswer(this.name, answer);
    if (json === null || typeof json !== 'object') throw new InvalidProviderResponseError(`${this.name} answered JSON that is not a prediction`);
    return json as Prediction;
  }

  private call(request: RefineRequest) {
    return {
      provider: this.name,
      headers: { authorization: `Bearer ${this.options.apiToken}`, accept: 'application/json' },
      secrets: [this.options.apiToken],
      signal: request.signal,
      onCallEnded: request.onProviderCall,
    };
  }
}
