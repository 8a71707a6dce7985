/** What the route plugins share: the injected dependencies and the services built on top of them. */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { ConceptStore } from '../../adapters/concept-store/concept-store';
import { webhookHttpSettings } from '../../adapters/http/webhook-sender';
import type { ImageStore } from '../../adapters/image-store/image-store';
import type { WebhookStore } from '../../adapters/webhook-store/webhook-store';
import type { GatewayProcessConfig } from '../../config';
import type { RefinementClient } from '../../client/refinements';
import { Admission } from '../admission';
import { ProgressFeed } from '../progress-feed';
import type { RefinerCapabilities } from '../../adapters/concept-service/concept-service';
import { capabilitiesOf } from '../refiner-capabilities';
import { UrlSigner } from '../signed-urls';
import { OwnershipStore } from '../stores/ownership';
import { StatusCache } from '../stores/status-cache';
import { Views } from '../views';

/** What the gateway is given: configuration, Temporal, the stores and its own (migrated) tables. */
export interface GatewayServices {
  config: GatewayProcessConfig;
  temporal: Client;
  refinements: RefinementClient;
  imageStore: ImageStore;
  conceptStore: ConceptStore;
  /** Webhook endpoints (sealed secrets) and deliveries, shared with the worker. */
  webhookStore: WebhookStore;
  /** The gateway's tables, already migrated (see openGatewayDatabase). */
  db: Knex;
}

/** ...and what the gateway builds on top of them for the routes. */
export interface GatewayContext extends GatewayServices {
  ownership: OwnershipStore;
  statusCache: StatusCache;
  admission: Admission;
  signer: UrlSigner;
  views: Views;
  /** One shared poll per watched refinement, and the per-user stream cap. */
  progressFeed: ProgressFeed;
  /** What the configured refiner understands, built once from the worker's own factory. */
  refiner: RefinerCapabilities;
}

/** The options of every route plugin that needs the gateway's services. */
export interface RouteOptions {
  ctx: GatewayContext;
}

export function createContext(services: GatewayServices): GatewayContext {
  const { config } = services;
  const signer = new UrlSigner(config.gateway.urlSigningSecret, config.imageStore.publicBaseUrl, config.gateway.signedUrlTtlSeconds);
  const ownership = new OwnershipStore(services.db);
  const statusCache = new StatusCache(ownership, services.refinements);
  const refiner = capabilitiesOf(config);
  const admission = new Admission({
    ownership,
    statusCache,
    refinements: services.refinements,
    imageStore: services.imageStore,
    maxRunningPerUser: config.gateway.maxRunningPerUser,
    capRetryAfterSeconds: config.gateway.capRetryAfterSeconds,
    webhookStore: services.webhookStore,
    webhookHttp: webhookHttpSettings(config.webhooks),
  });
  return {
    ...services,
    ownership,
    statusCache,
    admission,
    signer,
    views: new Views(signer, services.imageStore, config.imageStore.publicBaseUrl, refiner.refiner),
    progressFeed: new ProgressFeed(services.refinements, config.gateway.maxStreamsPerUser),
    refiner,
  };
}
