/**
 * What the observability suites run on: a worker process with its metrics endpoint and OTLP export
 * on, the gateway (in this process, tracing to the same receiver), the OpenAI-compatible fake, an
 * image server, PostgreSQL.
 */
import { startTracing, type Tracing } from '../../../src/observability/tracing';
import { FakeOpenAiImages } from '../../harness/fake-openai-images';
import { TestGateway } from '../../harness/gateway';
import { ImageServer } from '../../harness/image-server';
import { conceptPng } from '../../harness/images';
import { OtlpReceiver } from '../../harness/otlp-receiver';
import { freePort } from '../../harness/ports';
import { TestStack } from '../../harness/stack';

const PROMPT = 'Make it more autumn-themed with orange and red';
export const body = (originalImageUrl: string) => ({
  originalImageUrl,
  refinementPrompt: PROMPT,
  logoDescription: 'A minimalist fox',
  themeDescription: 'Modern tech',
});

export let receiver: OtlpReceiver;
export let images: ImageServer;
export let fake: FakeOpenAiImages;
export let original: Buffer;
let tracing: Tracing;
export let stack: TestStack;
export let gateway: TestGateway;
export let token: string;
export let workerMetricsUrl: string;

export const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  return response.text();
};

/** Starts everything before the file's tests and stops it after. */
export function useObservedStack(): void {
  beforeAll(async () => {
    [receiver, images, fake, original] = await Promise.all([OtlpReceiver.start(), ImageServer.start(), FakeOpenAiImages.start(), conceptPng()]);
    // The gateway runs in this process: trace it to the same receiver as the worker.
    tracing = startTracing({ otlpEndpoint: receiver.origin }, 'refinery-gateway');
    const metricsPort = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    stack = await TestStack.create({
      database: 'postgres',
      env: {
        WORKER_METRICS_PORT: String(metricsPort),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        CONCEPT_PROVIDER: 'openai',
        OPENAI_BASE_URL: fake.origin,
        OPENAI_API_KEY: 'sk-test-observability-4b1e9a7c',
      },
    });
    await stack.startWorker();
    gateway = await TestGateway.start(stack);
    token = await gateway.token('olivia');
  });

  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await tracing?.shutdown();
    await Promise.all([receiver?.close(), images?.close(), fake?.close()]);
  });
}
