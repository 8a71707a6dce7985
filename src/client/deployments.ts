/**
 * The Worker Deployment of Refinery's workers, through Temporal's gRPC API: which versions (build ids)
 * exist, which one new refinements start on (current) or are ramped to, how far each old one has
 * drained, and who polls. `refinery deploy ...` and the worker's start-up are built on it.
 *
 * A version is `<deploymentName>` plus a build id (the hash of the workflow bundle, src/worker/build-id.ts).
 * Every refinement is pinned to the version it started on; the current version only decides where new
 * ones start.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { VersionDrainageStatus, WorkerDeploymentVersionStatus, TaskQueueType } = temporal.api.enums.v1;
type Timestamp = temporal.api.deployment.v1.WorkerDeploymentInfo['createTime'];

export type VersionStatus = 'current' | 'ramping' | 'draining' | 'drained' | 'inactive' | 'created' | 'unknown';

export interface DeploymentVersionView {
  buildId: string;
  status: VersionStatus;
  /** The server's drainage check of a version that is neither current nor ramping. */
  drainage?: 'draining' | 'drained';
  createdAt?: string;
  /** When it last stopped being current or ramping: the previous version is the one with the latest. */
  deactivatedAt?: string;
  /** When it was last current (servers that report it). */
  lastCurrentAt?: string;
}

export interface DeploymentView {
  name: string;
  /** undefined: new refinements go to unversioned workers only. */
  currentBuildId?: string;
  ramping?: { buildId?: string; percent: number };
  versions: DeploymentVersionView[];
  /** Pass to a change so that it fails if someone else changed the deployment meanwhile. */
  conflictToken: Uint8Array;
}

export interface PollerView {
  taskQueue: string;
  kind: 'workflow' | 'activity';
  identity: string;
  /** undefined: an unversioned worker. */
  buildId?: string;
  lastPollAt?: string;
}

/** The deployment (or the version asked for) does not exist: no versioned worker of it has polled yet. */
export class DeploymentNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentNotFoundError';
  }
}

/** The server refused a routing change (e.g. a version with no pollers, or one of another deployment). */
export class DeploymentChangeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentChangeRefusedError';
  }
}

const IDENTITY = `refinery-deploy@${process.pid}`;

export class DeploymentClient {
  constructor(
    private readonly client: Client,
    readonly deploymentName: string,
  ) {}

  private get service() {
    return this.client.workflowService;
  }

  private get namespace() {
    return this.client.options.namespace;
  }

  /** The deployment as the server sees it; DeploymentNotFoundError before any versioned worker polled. */
  async describe(): Promise<DeploymentView> {
    const answer = await this.call(() => this.service.describeWorkerDeployment({ namespace: this.namespace, deploymentName: this.deploymentName }));
    const info = answer.workerDeploymentInfo!;
    const routing = info.routingConfig ?? {};
    const rampingBuildId = routing.rampingDeploymentVersion?.buildId || undefined;
    const rampingPercent = routing.rampingVersionPercentage ?? 0;
    return {
      name: info.name ?? this.deploymentName,
      currentBuildId: routing.currentDeploymentVersion?.buildId || undefined,
      // A ramp to "unversioned" has a percentage but no build id.
      ramping: rampingBuildId || rampingPercent > 0 || routing.rampingVersion ? { buildId: rampingBuildId, percent: rampingPercent } : undefined,
      versions: (info.versionSummaries ?? []).map((summary) => ({
        buildId: summary.deploymentVersion?.buildId ?? summary.version ?? '',
        status: versionStatus(summary.status),
        drainage: drainage(summary.drainageInfo?.status ?? summary.drainageStatus),
        createdAt: iso(summary.createTime),
        deactivatedAt: iso(summary.lastDeactivationTime),
        lastCurrentAt: iso(summary.lastCurrentTime),
      })),
      conflictToken: answer.conflictToken ?? new Uint8Array(),
    };
  }

  /** Every deployment of the namespace, by name (a page of up to 100). */
  async list(): Promise<string[]> {
    const answer = await this.call(() => this.service.listWorkerDeployments({ namespace: this.namespace, pageSize: 100 }));
    return (answer.workerDeployments ?? []).map((d) => d.name ?? '').filter(Boolean);
  }

  /**
   * New refinements start on `buildId` (undefined: on unversioned workers). The server refuses a
   * version none of whose workers has polled yet; `conflictToken` makes it refuse if the deployment
   * changed since that describe. Returns the build id that was current before.
   */
  async setCurrent(buildId: string | undefined, options: { conflictToken?: Uint8Array } = {}): Promise<{ previousBuildId?: string }> {
    const answer = await this.call(() =>
      this.service.setWorkerDeploymentCurrentVersion({
        namespace: this.namespace,
        deploymentName: this.deploymentName,
        buildId: buildId ?? '',
        identity: IDENTITY,
        ...(options.conflictToken?.length ? { conflictToken: options.conflictToken } : {}),
      }),
    );
    return { previousBuildId: answer.previousDeploymentVersion?.buildId || undefined };
  }

  /** `percent` of new refinements start on `buildId`, the rest on the current version; 0 with undefined stops ramping. */
  async setRamping(buildId: string | undefined, percent: number): Promise<void> {
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new RangeError(`a ramp is a percentage from 0 to 100, not ${percent}`);
    await this.call(() =>
      this.service.setWorkerDeploymentRampingVersion({
        namespace: this.namespace,
        deploymentName: this.deploymentName,
        buildId: buildId ?? '',
        percentage: buildId ? percent : 0,
        identity: IDENTITY,
      }),
    );
  }

  /**
   * Who polls the given task queues (the workflow queue for workflow and activity tasks, the provider
   * queue for activity tasks), with the build id each poller declared. The server remembers a poller for
   * a few minutes after its last poll (matching.PollerHistoryTTL).
   */
  async pollers(queues: { taskQueue: string; kinds: ('workflow' | 'activity')[] }[]): Promise<PollerView[]> {
    const found: PollerView[] = [];
    for (const { taskQueue, kinds } of queues) {
      for (const kind of kinds) {
        const answer = await this.call(() =>
          this.service.describeTaskQueue({
            namespace: this.namespace,
            taskQueue: { name: taskQueue },
            taskQueueType: kind === 'workflow' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
          }),
        );
        for (const poller of answer.pollers ?? []) {
          const options = poller.deploymentOptions;
          found.push({
            taskQueue,
            kind,
            identity: poller.identity ?? '',
            buildId: options?.deploymentName === this.deploymentName ? options.buildId || undefined : undefined,
            lastPollAt: iso(poller.lastAccessTime),
          });
        }
      }
    }
    return found;
  }

  private async call<T>(rpc: () => Promise<T>): Promise<T> {
    try {
      return await rpc();
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === grpcStatus.NOT_FOUND) {
        throw new DeploymentNotFoundError(`${this.deploymentName}: ${err.details || err.message}`);
      }
      if (isGrpcServiceError(err) && (err.code === grpcStatus.FAILED_PRECONDITION || err.code === grpcStatus.INVALID_ARGUMENT || err.code === grpcStatus.ABORTED)) {
        throw new DeploymentChangeRefusedError(`${this.deploymentName}: ${err.details || err.message}`);
      }
      throw err;
    }
  }
}

/**
 * The version a rollback returns to: of the versions that are neither current nor ramping, the one
 * that stopped being current (or ramping) last.
 */
export function previousVersion(view: DeploymentView): DeploymentVersionView | undefined {
  const candidates = view.versions.filter((v) => v.buildId !== view.currentBuildId && v.buildId !== view.ramping?.buildId && (v.lastCurrentAt || v.deactivatedAt));
  const when = (v: DeploymentVersionView) => Date.parse(v.lastCurrentAt ?? v.deactivatedAt ?? '') || 0;
  return candidates.sort((a, b) => when(b) - when(a))[0];
}

function versionStatus(status: number | null | undefined): VersionStatus {
  switch (status) {
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT:
      return 'current';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING:
      return 'ramping';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING:
      return 'draining';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED:
      return 'drained';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE:
      return 'inactive';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CREATED:
      return 'created';
    default:
      return 'unknown';
  }
}

function drainage(status: number | null | undefined): 'draining' | 'drained' | undefined {
  if (status === VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINING) return 'draining';
  if (status === VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINED) return 'drained';
  return undefined;
}

function iso(timestamp: Timestamp | null | undefined): string | undefined {
  if (!timestamp?.seconds) return undefined;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6)).toISOString();
}
