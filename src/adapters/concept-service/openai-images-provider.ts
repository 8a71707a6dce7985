/**
 * OpenAI's image edit endpoint, and any server that speaks the same protocol, as a ConceptService:
 * `POST {baseUrl}/v1/images/edits`, multipart with the image file, `prompt` and `model`,
 * `Authorization: Bearer <key>`; the answer is `{ data: [{ b64_json } | { url }] }`.
 */
import fs from 'node:fs';
import { FormData } from 'undici';
import { InvalidProviderResponseError } from '../../errors';
import { fileExtensionOf } from '../image-store/image-formats';
import { delegatedOutcome, openPromptCapabilities, type ConceptService, type RefinerCapabilities, type RefineRequest, type RefineResult } from './concept-service';
import {
  buildRefinementPrompt,
  decodeBase64Image,
  hostedImageUrl,
  inspectProviderImage,
  parseJsonAnswer,
  postToProvider,
  type ProviderHttpSettings,
} from './provider-http';

export interface OpenAiImagesOptions {
  apiKey: string;
  /** e.g. https://api.openai.com; the path /v1/images/edits is appended. */
  baseUrl: string;
  model: string;
  http: ProviderHttpSettings;
}

export class OpenAiImagesProvider implements ConceptService {
  readonly name = 'openai';

  constructor(private readonly options: OpenAiImagesOptions) {}

  capabilities(): RefinerCapabilities {
    return openPromptCapabilities(this.name);
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    const { model } = this.options;
    const form = new FormData();
    const type = request.image.contentType;
    // A Blob backed by the file: the form streams it out rather than holding a copy.
    form.append('image', await fs.openAsBlob(request.image.path, { type }), `original.${fileExtensionOf(type) ?? 'png'}`);
    form.append('prompt', buildRefinementPrompt(request));
    form.append('model', model);
    form.append('n', '1');
    // The DALL·E models answer with a URL unless told otherwise; gpt-image models always send
    // base64 and refuse the parameter, so it is only sent where it means something.
    if (model.startsWith('dall-e')) form.append('response_format', 'b64_json');

    const answer = await postToProvider(this.options.http, {
      provider: this.name,
      url: new URL(joinPath(this.options.baseUrl, '/v1/images/edits')),
      headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
      body: form,
      secrets: [this.options.apiKey],
      signal: request.signal,
      onCallEnded: request.onProviderCall,
    });
    const json = parseJsonAnswer(this.name, answer) as { data?: Array<{ b64_json?: unknown; url?: unknown; revised_prompt?: unknown }> };
    const first = Array.isArray(json.data) ? json.data[0] : undefined;
    const notes = [`refined by ${model} through the image edits API`];
    if (typeof first?.revised_prompt === 'string') notes.push(`provider revised the prompt: ${first.revised_prompt}`);
    if (typeof first?.b64_json === 'string') {
      const data = decodeBase64Image(this.name, first.b64_json);
      const image = await inspectProviderImage(this.name, data, this.options.http.maxPixels);
      return { kind: 'image', data, contentType: image.contentType, notes, outcome: delegatedOutcome(this.name) };
    }
    if (first?.url !== undefined) return { kind: 'url', url: hostedImageUrl(this.name, first.url), notes, outcome: delegatedOutcome(this.name) };
    throw new InvalidProviderResponseError(`${this.name} answered without data[0].b64_json or data[0].url`);
  }
}

/** Keeps a base URL's own path (a proxy mounted under /openai) instead of replacing it. */
function joinPath(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}
