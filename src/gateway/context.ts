/** What the route modules share: the services app.ts builds from the injected dependencies. */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { ConceptStore } from '../adapters/concept-store/concept-store';
import type { ImageStore } from '../adapters/image-store/image-store';
import type { WebhookStore } from '../adapters/webhook-store/webhook-store';
import type { Config } from '../config';
import type { RefinementClient } from '../client/refinements';
import type { Admission } from './admission';
import type { OwnershipStore } from './ownership';
import type { ProgressFeed } from './progress-feed';
import type { UrlSigner } from './signed-urls';
import type { StatusCache } from './status-cache';
import type { Views } from './views';

export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What the gateway is given: configuration, Temporal, the stores and its own (migrated) tables. */
export interface GatewayServices {
  config: Config;
  temporal: Client;
  refinements: RefinementClient;
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  /** Webhook endpoints (sealed secrets) and deliveries, shared with the worker. */
  webhookStore: WebhookStore;
  /** The gateway's tables, already migrated (see openGatewayDatabase). */
  db: Knex;
}

/** ...and what app.ts builds on top of them for the routes. */
export interface GatewayContext extends GatewayServices {
  ownership: OwnershipStore;
  statusCache: StatusCache;
  admission: Admission;
  signer: UrlSigner;
  views: Views;
  /** One shared poll per watched refinement, and the per-user stream cap. */
  progressFeed: ProgressFeed;
}
