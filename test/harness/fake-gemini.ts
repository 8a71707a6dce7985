/**
 * A fake Gemini API: `POST /v1beta/models/{model}:generateContent`, JSON, key in `x-goog-api-key`.
 * The "model" inverts the original it finds in the request's `inlineData` part (a visible,
 * deterministic change tests check pixel by pixel) and answers as Gemini does: the image as an
 * `inlineData` part of `candidates[0].content.parts` beside a text part. Refusals come as Gemini
 * sends them: a 200 with `promptFeedback.blockReason`, or a candidate whose `finishReason` is a safety
 * reason and which has no content; quota errors as 429 RESOURCE_EXHAUSTED with a RetryInfo detail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export type GeminiBehaviour =
  | { kind: 'ok' }
  | { kind: 'slow'; ms: number }
  /** The prompt blocked before the model ran: `promptFeedback.blockReason`, no candidates. */
  | { kind: 'blockPrompt'; blockReason?: string }
  /** The model's image withheld: a candidate with this finishReason (IMAGE_SAFETY by default) and no content. */
  | { kind: 'withholdImage'; finishReason?: string }
  /** 429 RESOURCE_EXHAUSTED; `retryAfter` as the header, `retryDelay` ("7s") as a RetryInfo detail. */
  | { kind: 'rateLimited'; retryAfter?: string; retryDelay?: string }
  /** An error status with Google's error JSON (400 INVALID_ARGUMENT by default). */
  | { kind: 'reject'; status?: number; message: string }
  /** Malformed answers: an HTML page, JSON with no candidates, an image part that is not base64, text only. */
  | { kind: 'html' }
  | { kind: 'noCandidates' }
  | { kind: 'notBase64' }
  | { kind: 'textOnly' };

export interface GeminiCall {
  method: string;
  /** Path and query, as received (a key must never be in it). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body?: { contents?: Array<{ parts?: Array<Record<string, unknown>> }>; generationConfig?: Record<string, unknown> };
  prompt: string;
  image?: { data: Buffer; mimeType: string };
  behaviour: GeminiBehaviour['kind'];
  arrivedAt: number;
}

/** The text part the fake model adds beside its image. */
export const GEMINI_FAKE_REMARK = 'Here is the logo with the requested change.';

export class FakeGemini {
  readonly calls: GeminiCall[] = [];
  private readonly plan: GeminiBehaviour[] = [];
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake failed: ${err}`);
    });
  });

  private constructor(private readonly apiKey: string) {}

  static async start(apiKey: string): Promise<FakeGemini> {
    const fake = new FakeGemini(apiKey);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests get these behaviours, in order; after them every request succeeds. */
  willAnswer(...behaviours: GeminiBehaviour[]): this {
    this.plan.push(...behaviours);
    return this;
  }

  reset(): void {
    this.plan.length = 0;
    this.calls.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '';
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      const body = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      const type = typeof value === 'string' ? 'text/html' : 'application/json; charset=UTF-8';
      res.writeHead(status, { 'content-type': type, 'content-length': body.length, ...headers }).end(body);
    };
    if (req.method !== 'POST' || !/^\/v1beta\/models\/[A-Za-z0-9._-]+:generateContent$/.test(url)) {
      return send(404, googleError(404, 'NOT_FOUND', `Method or model not found: ${req.method} ${url.split('?')[0]}`));
    }
    const behaviour = this.plan.shift() ?? { kind: 'ok' };
    const call: GeminiCall = { method: req.method, url, headers: req.headers, prompt: '', behaviour: behaviour.kind, arrivedAt };
    this.calls.push(call);
    if (req.headers['x-goog-api-key'] !== this.apiKey) {
      return send(400, googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'));
    }
    try {
      call.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    }
    const parts = call.body?.contents?.[0]?.parts ?? [];
    call.prompt = parts.map((p) => (typeof p.text === 'string' ? p.text : '')).join('\n');
    const inline = parts.map((p) => p.inlineData as { mimeType?: string; data?: string } | undefined).find((d) => d?.data);
    if (inline) call.image = { data: Buffer.from(inline.data!, 'base64'), mimeType: inline.mimeType ?? '' };

    switch (behaviour.kind) {
      case 'rateLimited': {
        const details = behaviour.retryDelay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: behaviour.retryDelay }] : [];
        const headers: Record<string, string> = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {};
        return send(429, googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', details), headers);
      }
      case 'reject':
        return send(behaviour.status ?? 400, googleError(behaviour.status ?? 400, 'INVALID_ARGUMENT', behaviour.message));
      case 'html':
        return send(502, '<html><body>Bad gateway</body></html>');
      case 'blockPrompt':
        return send(200, { promptFeedback: { blockReason: behaviour.blockReason ?? 'SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: 1290 } });
      case 'withholdImage':
        return send(200, { candidates: [{ finishReason: behaviour.finishReason ?? 'IMAGE_SAFETY', index: 0 }], usageMetadata: { promptTokenCount: 1290 } });
      case 'noCandidates':
        return send(200, { usageMetadata: { promptTokenCount: 1290 } });
      case 'textOnly':
        return send(200, answer([{ text: 'I cannot edit this image, but I can describe it.' }]));
      case 'notBase64':
        return send(200, answer([{ inlineData: { mimeType: 'image/png', data: '%%% not base64 %%%' } }]));
      case 'slow':
        await new Promise((r) => setTimeout(r, behaviour.ms));
        break;
      default:
        break;
    }
    if (!call.image) return send(400, googleError(400, 'INVALID_ARGUMENT', 'This fake edits images: send one as inlineData.'));
    const edited = await sharp(call.image.data).negate({ alpha: false }).png().toBuffer();
    send(200, answer([{ text: GEMINI_FAKE_REMARK }, { inlineData: { mimeType: 'image/png', data: edited.toString('base64') } }]));
  }
}

function answer(parts: unknown[]) {
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 1290, candidatesTokenCount: 1300 },
    modelVersion: 'gemini-2.5-flash-image',
  };
}

function googleError(code: number, status: string, message: string, details: unknown[] = []) {
  return { error: { code, message, status, ...(details.length ? { details } : {}) } };
}
