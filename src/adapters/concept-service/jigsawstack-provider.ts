/**
 * JigsawStack's image generation API as a ConceptService.
 *
 * From JigsawStack's API reference (jigsawstack.com/docs/api-reference/ai/image-generation):
 * `POST /v1/ai/image_generation`, key in the `x-api-key` header, JSON body with `prompt` (1-5000
 * characters) and optionally `url` / `file_store_key` for an input image ("used for image edits"),
 * and `return_type` of `binary` (the default: the image is the body), `url` (JSON `{ success, url }`,
 * a temporary hosted file) or `base64`. Errors are 4xx/5xx with a JSON message.
 * The page also marks the endpoint as deprecated; the request shape here is the documented one.
 *
 * The original goes by URL because the API takes input images only as a URL or a file-store key:
 * the provider fetches the original itself, so an uploaded original must be reachable from there.
 */
import { InvalidProviderResponseError, InvalidRefinementInputError, PromptRejectedError } from '../../errors';
import { delegatedOutcome, openPromptCapabilities, type ConceptService, type RefinerCapabilities, type RefineRequest, type RefineResult } from './concept-service';
import {
  buildRefinementPrompt,
  decodeBase64Image,
  hostedImageUrl,
  inspectProviderImage,
  parseJsonAnswer,
  postToProvider,
  providerMessage,
  redact,
  type ProviderHttpSettings,
} from './provider-http';

export interface JigsawStackOptions {
  apiKey: string;
  /** e.g. https://api.jigsawstack.com; a fake or a proxy in tests. */
  baseUrl: string;
  http: ProviderHttpSettings;
}

const ENDPOINT = '/v1/ai/image_generation';
/** The documented prompt limit; longer prompts are refused with a 400, so we stay within it. */
const MAX_PROMPT_CHARS = 5000;

export class JigsawStackProvider implements ConceptService {
  readonly name = 'jigsawstack';

  constructor(private readonly options: JigsawStackOptions) {}

  capabilities(): RefinerCapabilities {
    return openPromptCapabilities(this.name);
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    // An uploaded original is named by a reference (upload:<taskId>), not a URL JigsawStack could fetch.
    if (!/^https?:\/\//i.test(request.originalImageUrl)) {
      throw new InvalidRefinementInputError(`${this.name} takes the original only by an http(s) URL it can fetch; uploaded originals cannot be sent to it`);
    }
    const prompt = buildRefinementPrompt(request).slice(0, MAX_PROMPT_CHARS);
    const answer = await postToProvider(this.options.http, {
      provider: this.name,
      url: new URL(this.options.baseUrl.replace(/\/+$/, '') + ENDPOINT),
      headers: { 'content-type': 'application/json', accept: 'image/*, application/json', 'x-api-key': this.options.apiKey },
      body: JSON.stringify({ prompt, url: request.originalImageUrl, return_type: 'binary' }),
      secrets: [this.options.apiKey],
      signal: request.signal,
      onCallEnded: request.onProviderCall,
    });
    const notes = [`refined by JigsawStack image generation`];
    // Binary is what we ask for, but a JSON answer (url or base64) is also a documented shape.
    if (!answer.contentType.includes('json')) {
      const image = await inspectProviderImage(this.name, answer.body, this.options.http.maxPixels);
      return { kind: 'image', data: answer.body, contentType: image.contentType, notes, outcome: delegatedOutcome(this.name) };
    }
    const json = parseJsonAnswer(this.name, answer) as { success?: unknown; url?: unknown; image?: unknown; message?: unknown };
    if (json.success === false) {
      // A refusal in a 200: keep what the provider said (it may echo request data, so redacted).
      const said = providerMessage(answer.body);
      throw new PromptRejectedError(
        redact(`${this.name} refused the request (success: false)${said ? `: ${said}` : ' without a message'}`, [this.options.apiKey]),
      );
    }
    if (json.url !== undefined) return { kind: 'url', url: hostedImageUrl(this.name, json.url), notes, outcome: delegatedOutcome(this.name) };
    if (typeof json.image === 'string') {
      const data = decodeBase64Image(this.name, json.image);
      const image = await inspectProviderImage(this.name, data, this.options.http.maxPixels);
      return { kind: 'image', data, contentType: image.contentType, notes, outcome: delegatedOutcome(this.name) };
    }
    throw new InvalidProviderResponseError(`${this.name} answered JSON without an image or an image URL`);
  }
}
