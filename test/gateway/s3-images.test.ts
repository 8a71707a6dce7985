/**
 * The gateway with the S3 store on the run's real S3-compatible server: uploads and refined images
 * are streamed through /images from S3, or (IMAGE_DELIVERY=redirect) answered with a redirect to a
 * presigned URL that SeaweedFS itself serves and that expires no later than the signed link.
 */
import { loadConfig } from '../../src/config';
import { TestGateway } from '../harness/gateway';
import { conceptPng } from '../harness/images';
import { TestStack } from '../harness/stack';

describe('gateway images from the S3 store', () => {
  let stack: TestStack;
  let streaming: TestGateway;
  let redirecting: TestGateway;
  let original: Buffer;
  let taskId: string;
  let imageUrl: string;

  beforeAll(async () => {
    [stack, original] = await Promise.all([TestStack.create({ database: 'postgres', imageStore: 's3' }), conceptPng()]);
    await stack.startWorker();
    streaming = await TestGateway.start(stack);
    redirecting = await TestGateway.start(stack, { IMAGE_DELIVERY: 'redirect' });

    // An upload: stored in S3 by the gateway, read from S3 by the worker, refined, published to S3.
    const form = new FormData();
    form.set('refinementPrompt', 'Make it warmer');
    form.set('logoDescription', 'A fox');
    form.set('themeDescription', 'Autumn');
    form.set('image', new Blob([original], { type: 'image/png' }), 'fox.png');
    const token = await streaming.token('alice');
    const started = await streaming.fetch('/v1/refinements', { method: 'POST', token, body: form });
    expect(started.status).toBe(202);
    taskId = ((await started.json()) as { taskId: string }).taskId;
    const result = await stack.refinements.result(taskId);
    const concept = (await (await streaming.fetch(`/v1/concepts/${result.conceptId}`, { token })).json()) as { imageUrl: string };
    imageUrl = concept.imageUrl;
  });
  afterAll(async () => {
    await streaming?.close();
    await redirecting?.close();
    await stack?.close();
  });

  test('the refined image and the upload stream from S3 through /images', async () => {
    expect(imageUrl).toMatch(new RegExp(`^${streaming.origin}/images/refined/alice/${taskId}\\.png\\?expires=\\d+&signature=`));
    const stored = await stack.readStored(`refined/alice/${taskId}.png`);
    const image = await fetch(imageUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-length')).toBe(String(stored.length));
    expect(Buffer.from(await image.arrayBuffer()).equals(stored)).toBe(true);

    const upload = await fetch(streaming.signer().sign(`uploads/${taskId}/original`).url);
    expect(upload.status).toBe(200);
    expect(Buffer.from(await upload.arrayBuffer()).equals(original)).toBe(true);

    const missing = await fetch(streaming.signer().sign(`refined/alice/absent.png`).url);
    expect(missing.status).toBe(404);
  });

  test('IMAGE_DELIVERY=redirect: a 307 to a presigned S3 URL that SeaweedFS serves, expiring with the link', async () => {
    const link = new URL(imageUrl.replace(streaming.origin, redirecting.origin));
    const answer = await fetch(link, { redirect: 'manual' });
    expect(answer.status).toBe(307);
    const location = new URL(answer.headers.get('location')!);
    expect(location.origin).toBe(new URL(process.env.TEST_S3_ENDPOINT!).origin);
    const secondsLeft = Number(link.searchParams.get('expires')) - Math.floor(Date.now() / 1000);
    const presignedFor = Number(location.searchParams.get('X-Amz-Expires'));
    expect(presignedFor).toBeGreaterThan(0);
    expect(presignedFor).toBeLessThanOrEqual(secondsLeft + 1);

    const fromStore = await fetch(location);
    expect(fromStore.status).toBe(200);
    expect(Buffer.from(await fromStore.arrayBuffer()).equals(await stack.readStored(`refined/alice/${taskId}.png`))).toBe(true);

    // A link about to expire gets a presigned URL that expires with it.
    const shortLink = redirecting.signer().sign(`refined/alice/${taskId}.png`, 5).url;
    const short = await fetch(shortLink, { redirect: 'manual' });
    expect(short.status).toBe(307);
    expect(Number(new URL(short.headers.get('location')!).searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(5);

    // The signature check still comes first: an expired or altered link gets no redirect.
    const expired = redirecting.signer(() => Date.now() - 2 * 3600_000).sign(`refined/alice/${taskId}.png`).url;
    expect((await fetch(expired, { redirect: 'manual' })).status).toBe(403);
  });

  test('IMAGE_DELIVERY=redirect with the filesystem store is refused at start-up, naming both settings', () => {
    expect(() => loadConfig({ IMAGE_STORE: 'filesystem', IMAGE_DELIVERY: 'redirect' })).toThrow(/IMAGE_DELIVERY=redirect.*IMAGE_STORE=s3/);
    expect(() => loadConfig({ IMAGE_STORE: 's3' })).toThrow(/S3_BUCKET is required/);
  });
});
