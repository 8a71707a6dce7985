/**
 * Starting a refinement for a user: the Idempotency-Key lookup, the ownership claim (before the
 * workflow exists, so no refinement is ever without an owner), the running cap, the upload, the start.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { RefinedConcept } from '../adapters/concept-store/concept-store';
import { checkWebhookUrl, type WebhookHttpSettings } from '../adapters/http/webhook-sender';
import type { ImageStore } from '../adapters/image-store/image-store';
import { uploadKey } from '../adapters/image-store/key-layout';
import type { WebhookStore } from '../adapters/webhook-store/webhook-store';
import { InvalidRefinementInputError } from '../errors';
import type { RefinementClient, StartRefinementRequest } from '../client/refinements';
import { uploadReference } from '../workflows/input-validation';
import { refinementRequestOf, type RefinementStatus } from '../workflows/types';
import type { AuthenticatedUser } from './auth/authenticator';
import { HttpProblem, ProblemType } from './http/problems';
import type { CreateRefinementBody } from './routes/refinements.schemas';
import { isUniqueViolation, type ClaimedRequest, type OwnershipStore } from './stores/ownership';
import type { StatusCache } from './stores/status-cache';

export interface UploadedImage {
  data: Buffer;
  contentType: string;
}

export interface AdmissionRequest {
  user: AuthenticatedUser;
  body: CreateRefinementBody;
  idempotencyKey?: string;
  upload?: UploadedImage;
  /** Refine this stored concept (already checked to be the user's) instead of a URL or an upload. */
  parentConcept?: RefinedConcept;
}

export interface Admitted {
  taskId: string;
  status: RefinementStatus;
  /** True when an earlier request with the same Idempotency-Key made this refinement. */
  replayed: boolean;
  /** The callbackUrl's signing secret, on the request that registered it only. */
  callbackSecret?: string;
  /** The callbackUrl's webhook id (its deliveries and replays go through /v1/webhooks/{id}). */
  callbackWebhookId?: string;
}

export interface AdmissionDeps {
  ownership: OwnershipStore;
  statusCache: StatusCache;
  refinements: RefinementClient;
  imageStore: ImageStore;
  maxRunningPerUser: number;
  capRetryAfterSeconds: number;
  webhookStore: WebhookStore;
  webhookHttp: WebhookHttpSettings;
}

export class Admission {
  constructor(private readonly deps: AdmissionDeps) {}

  async admit(request: AdmissionRequest): Promise<Admitted> {
    const { ownership } = this.deps;
    const fingerprint = fingerprintOf(request);
    // Refused before anything is claimed or stored; checked again at every delivery.
    if (request.body.callbackUrl !== undefined) await checkWebhookUrl(request.body.callbackUrl, this.deps.webhookHttp);
    if (request.idempotencyKey) {
      const earlier = await ownership.findByIdempotencyKey(request.user.id, request.idempotencyKey);
      if (earlier) return this.replay(request, earlier.task_id, earlier.request_fingerprint, fingerprint, earlier.status);
    }
    const taskId = randomUUID();
    // The workflow's own input check, before anything is claimed or stored: a request it would
    // refuse leaves no row and no upload behind.
    this.deps.refinements.validInput(this.startRequest(taskId, request));
    let claimed: boolean;
    try {
      claimed = await this.claimWithinCap(taskId, request, fingerprint);
    } catch (err) {
      // The same key sent twice at once: the other request won the claim; answer with its refinement.
      if (!request.idempotencyKey || !isUniqueViolation(err)) throw err;
      const winner = await ownership.findByIdempotencyKey(request.user.id, request.idempotencyKey);
      if (!winner) throw err;
      return this.replay(request, winner.task_id, winner.request_fingerprint, fingerprint, winner.status);
    }
    if (!claimed) throw this.capReached();
    let callbackSecret: string | undefined;
    try {
      callbackSecret = await this.start(taskId, request);
    } catch (err) {
      // Without a key the caller cannot retry into this task id, so the claim would only dangle.
      // With one, keep it: the retry finds it and starts the same task id (uploading again).
      if (!request.idempotencyKey || err instanceof InvalidRefinementInputError) await ownership.release(taskId);
      throw err;
    }
    const callbackWebhookId = request.body.callbackUrl !== undefined ? callbackEndpointId(taskId) : undefined;
    return { taskId, status: 'running', replayed: false, callbackSecret, callbackWebhookId };
  }

  private async replay(
    request: AdmissionRequest,
    taskId: string,
    earlierFingerprint: string | null,
    fingerprint: string,
    status: RefinementStatus,
  ): Promise<Admitted> {
    if (earlierFingerprint !== fingerprint) {
      throw new HttpProblem({
        type: ProblemType.idempotencyConflict,
        title: 'Idempotency-Key reused',
        status: 422,
        detail: 'this Idempotency-Key was already used for a different request',
      });
    }
    // The first request may have died between the claim and the start: finish its work.
    const callbackSecret = (await this.workflowExists(taskId)) ? undefined : await this.start(taskId, request);
    const callbackWebhookId = request.body.callbackUrl !== undefined ? callbackEndpointId(taskId) : undefined;
    return { taskId, status, replayed: true, callbackSecret, callbackWebhookId };
  }

  /**
   * The cap is checked and the claim made in one transaction (OwnershipStore.claimWithinCap), so
   * concurrent starts are admitted exactly up to the cap. The status column may lag behind
   * refinements that ended unobserved: look at them before refusing.
   */
  private async claimWithinCap(taskId: string, request: AdmissionRequest, fingerprint: string): Promise<boolean> {
    const { ownership, statusCache, maxRunningPerUser } = this.deps;
    const row = { taskId, userId: request.user.id, idempotencyKey: request.idempotencyKey, fingerprint, request: requestOf(request) };
    if (await ownership.claimWithinCap(row, maxRunningPerUser)) return true;
    await statusCache.refreshRunning(request.user.id);
    return ownership.claimWithinCap(row, maxRunningPerUser);
  }

  private capReached(): HttpProblem {
    const { maxRunningPerUser, capRetryAfterSeconds } = this.deps;
    return new HttpProblem(
      {
        type: ProblemType.tooManyRunning,
        title: 'Too many running refinements',
        status: 429,
        detail: `at most ${maxRunningPerUser} refinements may run at once; wait for one to finish or cancel one`,
      },
      { 'retry-after': String(capRetryAfterSeconds) },
    );
  }

  /** An upload is named by a reference, never by a signed link: the input lands in history and the concept row. */
  private startRequest(taskId: string, { user, body, upload, parentConcept }: AdmissionRequest, webhookEndpointIds: string[] = []): StartRefinementRequest {
    return {
      taskId,
      userId: user.id,
      isAnonymous: user.isAnonymous,
      // A parent's stored (unsigned) URL records where its image came from; the worker reads the
      // parent's image from the store by the parent's id, never through this URL.
      originalImageUrl: upload ? uploadReference(taskId) : (parentConcept?.imageUrl ?? body.originalImageUrl ?? ''),
      uploadedImageKey: upload ? uploadKey(taskId) : undefined,
      ...refinementRequestOf(body),
      ...(parentConcept ? { parentConceptId: parentConcept.id } : {}),
      ...(webhookEndpointIds.length > 0 ? { webhookEndpointIds } : {}),
    };
  }

  /**
   * Checks the whole input, then registers the callback, writes the upload and starts; returns the
   * callback's secret when this call registered it. If anything after the check fails, what it wrote
   * goes (the callback's row and sealed secret too), unless the run exists after all.
   */
  private async start(taskId: string, request: AdmissionRequest): Promise<string | undefined> {
    const { callbackUrl } = request.body;
    const userId = request.user.id;
    const endpointIds = await this.webhookEndpointIds(taskId, userId, callbackUrl);
    // Before anything is written: a start the workflow would refuse leaves nothing behind.
    const input = this.deps.refinements.validInput(this.startRequest(taskId, request, endpointIds));
    const { upload } = request;
    let callbackSecret: string | undefined;
    try {
      if (callbackUrl !== undefined) {
        const { secret } = await this.deps.webhookStore.createEndpoint({ id: callbackEndpointId(taskId), userId, url: callbackUrl, kind: 'callback', taskId });
        callbackSecret = secret ?? undefined;
      }
      if (upload && input.uploadedImageKey) {
        await this.deps.imageStore.put(input.uploadedImageKey, upload.data, { contentType: upload.contentType, metadata: { taskId, userId } });
      }
      await this.deps.refinements.start(input);
    } catch (err) {
      // A start whose answer was lost may still have created the run, which then needs its upload and callback.
      if (!(await this.workflowExists(taskId).catch(() => false))) {
        if (input.uploadedImageKey) await this.deps.imageStore.remove([input.uploadedImageKey]);
        if (callbackUrl !== undefined) await this.deps.webhookStore.deleteEndpoint(userId, callbackEndpointId(taskId));
      }
      throw err;
    }
    return callbackSecret;
  }

  /**
   * The endpoints told when this refinement ends: the user's registered, enabled endpoints as they are
   * now, and the request's callback URL (registered under an id derived from the task, so a retried
   * start registers it once).
   */
  private async webhookEndpointIds(taskId: string, userId: string, callbackUrl: string | undefined): Promise<string[]> {
    const registered = await this.deps.webhookStore.listEndpoints(userId);
    const endpointIds = registered.filter((e) => !e.disabledAt).map((e) => e.id);
    if (callbackUrl !== undefined) endpointIds.push(callbackEndpointId(taskId));
    return endpointIds;
  }

  private async workflowExists(taskId: string): Promise<boolean> {
    try {
      await this.deps.refinements.handle(taskId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}

/** What the owner may read back later (the web page shows it); never the uploaded bytes themselves. */
function requestOf({ body, upload }: AdmissionRequest): ClaimedRequest {
  return {
    ...refinementRequestOf(body),
    originalImageUrl: upload ? undefined : body.originalImageUrl,
    uploaded: upload !== undefined,
  };
}

function callbackEndpointId(taskId: string): string {
  return `cb_${taskId}`;
}

/** Same fields and the same image bytes make the same request, whatever the field order. */
function fingerprintOf({ body, upload, parentConcept }: AdmissionRequest): string {
  const canonical = JSON.stringify(Object.entries(body).sort(([a], [b]) => a.localeCompare(b)));
  const hash = createHash('sha256').update(canonical);
  if (parentConcept) hash.update('\0parent\0').update(parentConcept.id);
  if (upload) hash.update('\0image\0').update(upload.data);
  return hash.digest('hex');
}
