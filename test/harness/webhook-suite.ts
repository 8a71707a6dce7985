/**
 * What the webhook suites run against: a stack on PostgreSQL with a worker, a gateway, an image server
 * for originals and a receiver that plays the user's endpoint.
 */
import { TestGateway } from './gateway';
import { ImageServer } from './image-server';
import { conceptPng } from './images';
import { TestStack } from './stack';
import { WebhookReceiver } from './webhook-receiver';

export interface WebhookSuite {
  stack: TestStack;
  gateway: TestGateway;
  images: ImageServer;
  receiver: WebhookReceiver;
  original: Buffer;
}

/** `env`: the suite's webhook settings (retry times, deadlines, private hosts). */
export async function startWebhookSuite(env: Record<string, string>): Promise<WebhookSuite> {
  const [stack, images, receiver, original] = await Promise.all([
    TestStack.create({ database: 'postgres', env }),
    ImageServer.start(),
    WebhookReceiver.start(),
    conceptPng(),
  ]);
  await stack.startWorker();
  const gateway = await TestGateway.start(stack);
  return { stack, gateway, images, receiver, original };
}

/** Closes what started; tolerates a suite whose start failed half-way. */
export async function closeWebhookSuite(suite: Partial<WebhookSuite>): Promise<void> {
  await suite.gateway?.close();
  await suite.stack?.close();
  await suite.images?.close();
  await suite.receiver?.close();
}

/** A start request's JSON body for an original served at `originalImageUrl`. */
export const startBody = (originalImageUrl: string, extra: object = {}) => ({
  originalImageUrl,
  refinementPrompt: 'Make it more autumn-themed with orange and red',
  logoDescription: 'A fox',
  themeDescription: 'Modern tech',
  ...extra,
});
