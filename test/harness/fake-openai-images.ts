/**
 * A fake OpenAI image edits API: `POST /v1/images/edits`, multipart (image file, prompt, model, ...),
 * `Authorization: Bearer`. Answers `{ created, data: [{ b64_json }] }` or `data: [{ url }]`, and
 * errors as `{ error: { message, type, code } }`.
 */
import { FakeProvider, type ParsedRequest, type ProviderDialect } from './fake-provider';

const dialect: ProviderDialect = {
  path: '/v1/images/edits',
  async parse(req, body): Promise<ParsedRequest> {
    // The platform's own multipart parser: a malformed body fails here, as it would at OpenAI.
    const form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
    const fields: Record<string, unknown> = {};
    let image: ParsedRequest['image'];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') fields[name] = value;
      else if (name === 'image' || name === 'image[]') {
        image = { data: Buffer.from(await value.arrayBuffer()), filename: value.name, contentType: value.type };
      }
    }
    return { fields, prompt: typeof fields.prompt === 'string' ? fields.prompt : '', image };
  },
  imageAnswer: (png) => json(200, { created: nowSeconds(), data: [{ b64_json: png.toString('base64') }] }),
  urlAnswer: (url) => json(200, { created: nowSeconds(), data: [{ url }] }),
  errorAnswer: (status, message) =>
    json(status, { error: { message, type: status === 429 ? 'requests' : 'invalid_request_error', code: null } }),
};

export class FakeOpenAiImages extends FakeProvider {
  static async start(): Promise<FakeOpenAiImages> {
    const fake = new FakeOpenAiImages(dialect);
    await fake.listen();
    return fake;
  }
}

function json(status: number, value: unknown) {
  return { status, contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
