/**
 * Webhook endpoints and their deliveries. The gateway registers endpoints; the worker reads an
 * endpoint's URL and signing secret when it delivers, and records every attempt. Secrets are stored
 * encrypted (see secret-box.ts): a reader of the database alone cannot sign events.
 */
export type EndpointKind =
  /** Registered by the user (`POST /v1/webhooks`): told about every refinement started afterwards. */
  | 'endpoint'
  /** A per-request `callbackUrl`: told about that one refinement only. */
  | 'callback';

export interface WebhookEndpoint {
  id: string;
  userId: string;
  url: string;
  kind: EndpointKind;
  /** The refinement a callback belongs to; null for registered endpoints. */
  taskId: string | null;
  description: string;
  createdAt: Date;
  /** Set when the receiver answered 410 Gone: nothing more is sent there. */
  disabledAt: Date | null;
  disabledReason: string | null;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'endpoint-disabled';

/**
 * Where a delivery's attempts have ended. Only a replay (markPending) moves a delivery out of one: an
 * attempt that reports after the workflow gave up (its receiver hung past the retry time) is recorded
 * as an attempt but leaves the status alone.
 */
export const FINAL_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['delivered', 'failed', 'endpoint-disabled'];

export interface WebhookDelivery {
  endpointId: string;
  /** The `webhook-id` header: the same for every attempt and every replay of this event. */
  messageId: string;
  taskId: string;
  eventType: string;
  /** The exact JSON body sent (and signed) on every attempt. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
  recentAttempts: DeliveryAttempt[];
}

export interface DeliveryAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  outcome: 'delivered' | 'retrying' | 'endpoint-disabled';
  at: Date;
  durationMs: number;
}

export interface NewEndpoint {
  userId: string;
  url: string;
  kind: EndpointKind;
  taskId?: string;
  description?: string;
  /** Fixed ids make a callback's registration idempotent per task. */
  id?: string;
}

export interface WebhookStore {
  /** Generates the signing secret; returns it this once (`created: false`: the id existed, no secret). */
  createEndpoint(endpoint: NewEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string | null }>;
  findEndpoint(id: string): Promise<WebhookEndpoint | undefined>;
  /** The user's registered endpoints (not callbacks), oldest first. */
  listEndpoints(userId: string): Promise<WebhookEndpoint[]>;
  countEndpoints(userId: string): Promise<number>;
  /** Removes the endpoint (registered or a callback) and its delivery records; false when the user has no such endpoint. */
  deleteEndpoint(userId: string, id: string): Promise<boolean>;
  /** The `whsec_…` secret, decrypted: for the worker that signs. */
  signingSecret(id: string): Promise<string>;
  disableEndpoint(id: string, reason: string): Promise<void>;

  /** Records the event on its first attempt; later attempts and replays get the same row (and body). */
  ensureDelivery(delivery: { endpointId: string; messageId: string; taskId: string; eventType: string; body: string }): Promise<WebhookDelivery>;
  /** Counts the attempt; its outcome becomes the status unless the delivery is already in a final status. */
  recordAttempt(endpointId: string, messageId: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<void>;
  /** The workflow gave up on it (its retry time ran out). */
  markFailed(endpointId: string, messageId: string, error: string): Promise<void>;
  /** A replay was requested: the delivery is retried again from now. */
  markPending(endpointId: string, messageId: string): Promise<void>;
  findDelivery(endpointId: string, messageId: string): Promise<WebhookDelivery | undefined>;
  /** Newest first, each with its last few attempts. */
  listDeliveries(endpointId: string, limit: number): Promise<WebhookDelivery[]>;
  close(): Promise<void>;
}
