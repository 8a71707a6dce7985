/**
 * Google's Gemini image models as a ConceptService, through the Gemini API's generateContent:
 * `POST {baseUrl}/v1beta/models/{model}:generateContent`, key in the `x-goog-api-key` header (never
 * in the URL, where proxies and access logs would keep it). The request holds one user turn: the
 * original as an `inlineData` part (mime type + base64) and the instruction as a text part, with
 * `generationConfig.responseModalities` ['TEXT', 'IMAGE'] so the model may answer with an image.
 *
 * The answer's `candidates[0].content.parts` carry the image as `inlineData` and the model's remarks
 * as text (kept as notes). A refusal is not an HTTP error: the prompt is blocked with
 * `promptFeedback.blockReason` and no candidates, or the candidate ends with a safety `finishReason`
 * and no content. Both are the prompt's fault and final (PromptRejectedError). Quota errors are 429
 * RESOURCE_EXHAUSTED, which may carry a `google.rpc.RetryInfo` detail with the delay to wait.
 */
import fs from 'node:fs/promises';
import { ImageTooLargeError, InvalidProviderResponseError, PromptRejectedError } from '../../errors';
import { delegatedOutcome, openPromptCapabilities, type ConceptService, type RefinerCapabilities, type RefineRequest, type RefineResult } from './concept-service';
import {
  MAX_RETRY_AFTER_MS,
  buildRefinementPrompt,
  decodeBase64Image,
  inspectProviderImage,
  parseJsonAnswer,
  postToProvider,
  redact,
  type ProviderHttpSettings,
} from './provider-http';

export interface GeminiOptions {
  apiKey: string;
  /** e.g. https://generativelanguage.googleapis.com; /v1beta/models/{model}:generateContent is appended. */
  baseUrl: string;
  /** An image-capable model, e.g. gemini-2.5-flash-image. */
  model: string;
  http: ProviderHttpSettings;
}

/**
 * The Gemini API takes inline data only in requests up to 20 MB; the original in base64 is a third
 * larger than the file, so an original above this is refused before it is sent (the API would
 * answer 400 after the upload).
 */
export const MAX_INLINE_ORIGINAL_BYTES = 14 * 1024 * 1024;

/** Finish reasons that mean the answer was withheld for its content, not cut short for another cause. */
const SAFETY_FINISH_REASONS = new Set(['SAFETY', 'IMAGE_SAFETY', 'PROHIBITED_CONTENT', 'IMAGE_PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII']);

interface GeminiPart {
  text?: unknown;
  /** Set on a thinking model's reasoning parts: not an answer, so not a note. */
  thought?: unknown;
  inlineData?: { mimeType?: unknown; data?: unknown };
}

interface GeminiAnswer {
  promptFeedback?: { blockReason?: unknown };
  candidates?: Array<{ content?: { parts?: GeminiPart[] }; finishReason?: unknown; finishMessage?: unknown }>;
}

export class GeminiProvider implements ConceptService {
  readonly name = 'gemini';

  constructor(private readonly options: GeminiOptions) {}

  capabilities(): RefinerCapabilities {
    return openPromptCapabilities(this.name);
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    const { model, apiKey } = this.options;
    // Inline data is the API's way to send a file with the request; the base64 copy lives only for this call.
    const { size } = await fs.stat(request.image.path);
    if (size > MAX_INLINE_ORIGINAL_BYTES) {
      throw new ImageTooLargeError(`the original (${size} bytes) is larger than Gemini takes inline (${MAX_INLINE_ORIGINAL_BYTES} bytes: 20 MB per request, in base64)`);
    }
    const original = await fs.readFile(request.image.path);
    const body = JSON.stringify({
      contents: [
        {
          role: 'user',
          parts: [{ inlineData: { mimeType: request.image.contentType, data: original.toString('base64') } }, { text: buildRefinementPrompt(request) }],
        },
      ],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'] },
    });
    const answer = await postToProvider(this.options.http, {
      provider: this.name,
      url: new URL(`${this.options.baseUrl.replace(/\/+$/, '')}/v1beta/models/${encodeURIComponent(model)}:generateContent`),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-goog-api-key': apiKey },
      body,
      secrets: [apiKey],
      signal: request.signal,
      onCallEnded: request.onProviderCall,
      retryAfterInBody: retryInfoDelayMs,
    });
    const json = parseJsonAnswer(this.name, answer) as GeminiAnswer;
    if (json === null || typeof json !== 'object') throw new InvalidProviderResponseError(`${this.name} answered JSON that is not an object`);

    const blockReason = json.promptFeedback?.blockReason;
    if (typeof blockReason === 'string' && blockReason !== 'BLOCK_REASON_UNSPECIFIED') {
      throw new PromptRejectedError(`${this.name} blocked the prompt by its safety filters (blockReason ${blockReason})`);
    }
    const candidate = Array.isArray(json.candidates) ? json.candidates[0] : undefined;
    if (!candidate) throw new InvalidProviderResponseError(`${this.name} answered without a candidate`);
    const parts = Array.isArray(candidate.content?.parts) ? candidate.content.parts : [];
    const finishReason = typeof candidate.finishReason === 'string' ? candidate.finishReason : undefined;
    const image = parts.find((p) => typeof p?.inlineData?.data === 'string');
    if (!image && finishReason && SAFETY_FINISH_REASONS.has(finishReason)) {
      const said = typeof candidate.finishMessage === 'string' ? `: ${redact(candidate.finishMessage, [apiKey]).slice(0, 500)}` : '';
      throw new PromptRejectedError(`${this.name} withheld the image, blocked by its safety filters (finishReason ${finishReason})${said}`);
    }

    const notes = [`refined by ${model} through the Gemini API`];
    for (const part of parts) {
      if (typeof part?.text === 'string' && part.text.trim() !== '' && part.thought !== true) notes.push(`${this.name} said: ${part.text.trim().slice(0, 1000)}`);
    }
    if (!image) {
      // A model that only talks (it asked a question, or declined in words) has not refined anything.
      const why = finishReason && finishReason !== 'STOP' ? ` (finishReason ${finishReason})` : notes.length > 1 ? ` (it answered only with text)` : '';
      throw new InvalidProviderResponseError(`${this.name} answered without an image${why}`);
    }
    const data = decodeBase64Image(this.name, image.inlineData!.data as string);
    const inspected = await inspectProviderImage(this.name, data, this.options.http.maxPixels);
    return { kind: 'image', data, contentType: inspected.contentType, notes, outcome: delegatedOutcome(this.name) };
  }
}

/**
 * The delay in a Google API error's `google.rpc.RetryInfo` detail (`"retryDelay": "37s"`, a
 * protobuf Duration in JSON), bounded like Retry-After. Undefined when the body has none.
 */
export function retryInfoDelayMs(body: Buffer): number | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { error?: { details?: Array<{ '@type'?: unknown; retryDelay?: unknown }> } };
    const info = json.error?.details?.find((d) => typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo'));
    const match = typeof info?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(info.retryDelay.trim()) : null;
    if (!match) return undefined;
    return Math.min(Math.round(Number(match[1]) * 1000), MAX_RETRY_AFTER_MS);
  } catch {
    return undefined;
  }
}
