/** A real gateway on 127.0.0.1 for a TestStack: same Temporal task queue, image store and database. */
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { loadGatewayConfig, type GatewayProcessConfig } from '../../src/config';
import { createImageStore } from '../../src/adapters/image-store';
import { S3ImageStore } from '../../src/adapters/image-store/s3-image-store';
import type { ImageStore } from '../../src/adapters/image-store/image-store';
import { openWebhookStore, type KnexWebhookStore } from '../../src/adapters/webhook-store/knex-webhook-store';
import { ApiKeys } from '../../src/gateway/stores/api-keys';
import { buildGateway } from '../../src/gateway/app';
import { openGatewayDatabase } from '../../src/gateway/stores/database';
import { mintDevToken, type DevTokenOptions } from '../../src/gateway/auth/dev-token';
import { UrlSigner } from '../../src/gateway/signed-urls';
import { RefinementClient } from '../../src/client/refinements';
import { GATEWAY_TEMPORAL_CALLS } from '../../src/gateway/temporal-calls';
import { connectTemporalClient } from '../../src/temporal/connection';
import { freePort } from './ports';
import type { TestStack } from './stack';

export class TestGateway {
  private constructor(
    readonly app: FastifyInstance,
    readonly config: GatewayProcessConfig,
    readonly db: Knex,
    readonly origin: string,
    /** The environment its configuration came from (for a CLI run against it). */
    readonly env: NodeJS.ProcessEnv,
    readonly imageStore: ImageStore,
    readonly webhooks: KnexWebhookStore,
  ) {}

  /**
   * On a free port, or on `env.GATEWAY_PORT` when a test must know the address beforehand.
   * `logger`: where the gateway logs (tests that read its log and audit lines); none by default.
   * `refuseStarts`: Temporal refuses every start (the client names a namespace that does not exist),
   * a real failure that comes after admission has written what it writes first.
   * `ownTemporalClient`: the gateway connects to Temporal itself, with the call settings of
   * src/gateway/main.ts, instead of sharing the stack's client (outage tests).
   */
  static async start(
    stack: TestStack,
    env: Record<string, string> = {},
    logger: Logger | false = false,
    { refuseStarts = false, ownTemporalClient = false }: { refuseStarts?: boolean; ownTemporalClient?: boolean } = {},
  ): Promise<TestGateway> {
    const port = env.GATEWAY_PORT ? Number(env.GATEWAY_PORT) : await freePort();
    const gatewayEnv = {
      ...stack.env,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      PUBLIC_IMAGE_BASE_URL: `http://127.0.0.1:${port}/images`,
      ...env,
    };
    const config = loadGatewayConfig(gatewayEnv);
    const db = await openGatewayDatabase(config.database);
    // In process, the AWS chain would read this process's environment: hand the stack's keys over instead.
    const imageStore =
      config.imageStore.kind === 's3'
        ? new S3ImageStore({
            ...config.imageStore,
            credentials: { accessKeyId: stack.env.AWS_ACCESS_KEY_ID!, secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY! },
          })
        : createImageStore(config.imageStore);
    const webhooks = await openWebhookStore(config.database, config.webhooks.secretKey);
    const temporal = ownTemporalClient ? await connectTemporalClient(config, undefined, GATEWAY_TEMPORAL_CALLS) : stack.temporal;
    const app = await buildGateway({
      config,
      temporal,
      refinements: refuseStarts
        ? new RefinementClient(new Client({ connection: stack.temporal.connection, namespace: 'no-such-namespace' }), { taskQueue: config.temporal.taskQueue })
        : ownTemporalClient
          ? new RefinementClient(temporal, { taskQueue: config.temporal.taskQueue })
          : stack.refinements,
      imageStore,
      conceptStore: stack.concepts,
      webhookStore: webhooks,
      db,
      logger,
    });
    if (ownTemporalClient) app.addHook('onClose', async () => temporal.connection.close());
    await app.listen({ port, host: '127.0.0.1' });
    return new TestGateway(app, config, db, `http://127.0.0.1:${port}`, gatewayEnv, imageStore, webhooks);
  }

  token(userId: string, options: Omit<DevTokenOptions, 'userId'> = {}): Promise<string> {
    return mintDevToken(this.config.gateway.auth, { userId, ...options });
  }

  apiKeys(): ApiKeys {
    return new ApiKeys(this.db);
  }

  /** A signer with the gateway's secret whose clock can be moved, to make expired or altered links. */
  signer(now: () => number = Date.now): UrlSigner {
    return new UrlSigner(this.config.gateway.urlSigningSecret, this.config.imageStore.publicBaseUrl, this.config.gateway.signedUrlTtlSeconds, now);
  }

  async fetch(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(this.origin + path, { ...init, headers, body });
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.db.destroy();
    await this.imageStore.close();
    await this.webhooks.close();
  }
}

/** Reads an SSE response to its end: every event with its parsed data. */
export async function readEvents(response: Response): Promise<{ event: string; data: any }[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = JSON.parse(lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
      return { event, data };
    });
}
