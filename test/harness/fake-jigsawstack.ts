/**
 * A fake JigsawStack image generation API: `POST /v1/ai/image_generation` with a JSON body and the
 * key in `x-api-key`. It fetches the image named by `url` (as the real service does for edits),
 * tints it, and answers as binary PNG, `{ success, url }`, or `{ success: false, message }` errors.
 */
import { FakeProvider, type ParsedRequest, type ProviderDialect } from './fake-provider';

const dialect: ProviderDialect = {
  path: '/v1/ai/image_generation',
  async parse(_req, body): Promise<ParsedRequest> {
    const fields = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const prompt = typeof fields.prompt === 'string' ? fields.prompt : '';
    if (typeof fields.url !== 'string') return { fields, prompt };
    const response = await fetch(fields.url);
    const data = Buffer.from(await response.arrayBuffer());
    return { fields, prompt, image: { data, contentType: response.headers.get('content-type') ?? undefined } };
  },
  imageAnswer: (png) => ({ status: 200, contentType: 'image/png', body: png }),
  urlAnswer: (url) => json(200, { success: true, url, _usage: { total_tokens: 1 } }),
  errorAnswer: (status, message) => json(status, { success: false, message }),
};

export class FakeJigsawStack extends FakeProvider {
  static async start(): Promise<FakeJigsawStack> {
    const fake = new FakeJigsawStack(dialect);
    await fake.listen();
    return fake;
  }
}

function json(status: number, value: unknown) {
  return { status, contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
}
