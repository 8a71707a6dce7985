/**
 * The refineConcept workflow: the seed's Refinement Process as a durable run. Each stage is an
 * activity with its own timeouts and retry policy; stages hand each other references to staged blobs,
 * never image bytes. A cancel (the signal or a server-side request) stops the running stage, removes
 * whatever the run staged or stored, and ends the run Canceled; once the concept is being stored a
 * cancel changes nothing and is recorded as too late.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { RefineryActivities } from '../activities';
import { WorkflowChanges } from './changes';
import { findInputProblems } from './input-validation';
import { cancelRefinementSignal, progressQuery, providerTaskQueue, refinementStageKey, stageAttemptSignal, userIdKey } from './messages';
import { ProgressTracker } from './progress';
import { resolveStagePolicies, type PolicyName, type Stage, type StagePolicy } from './stage-policies';
import { refinementRequestOf, type RefinementInput, type RefinementResult, type RefinementReturn } from './types';
import { deliverRefinementEvent } from './webhooks';

export async function refineConcept(input: RefinementInput): Promise<RefinementReturn> {
  const { taskId, userId } = input;
  const changes = new WorkflowChanges();
  const progress = new ProgressTracker(taskId);
  setHandler(progressQuery, () => progress.snapshot());
  // Runs started before the shared text rule replay with the rule they started under.
  const problems = findInputProblems(input, { current: changes.has('shared-text-rule') });
  if (problems.length > 0) {
    const message = `task ${taskId}: invalid refinement request: ${problems.join('; ')}`;
    progress.failed(message, 'InvalidRefinementInputError');
    throw ApplicationFailure.nonRetryable(message, 'InvalidRefinementInputError');
  }
  // Runs started before the cheap stages became local activities replay with the shape they had.
  const local = changes.latest;
  const stages = stageActivities(input, changes);
  if (!local || !startedWith(userIdKey, userId)) upsertSearchAttributes([{ key: userIdKey, value: userId }]);
  if (local) progress.publishOnly(startedWith(refinementStageKey, 'download') ? ['refine'] : ['download', 'refine']);

  setHandler(stageAttemptSignal, (report) => progress.recordAttempt(report));
  setHandler(cancelRefinementSignal, ({ reason }) => {
    const why = reason?.trim() || 'cancelled by the user';
    if (progress.storingConcept || progress.cancellation) return progress.refuseCancellation(why);
    progress.requestCancellation(why);
    void requestOwnCancellation(why, progress);
  });

  let result: RefinementResult;
  try {
    result = await runPipeline(input, stages, progress);
  } catch (err) {
    await CancellationScope.nonCancellable(() => stages.cleanup.discardArtifacts({ taskId, userId, includePublished: true }));
    if (isCancellation(err)) {
      progress.cancelled();
      await notifyWebhooks(input, 'refinement.cancelled', progress, changes);
      throw err;
    }
    // A cancel was accepted, then the stage reported something else: an attempt lost on a dead
    // worker times out instead of confirming the cancel. The user asked for a cancel and got one.
    if (cancelAccepted(progress) && changes.has('cancel-wins-over-stage-failure')) {
      progress.cancelled();
      await notifyWebhooks(input, 'refinement.cancelled', progress, changes);
      throw new CancelledFailure(progress.cancellation?.reason ?? 'cancelled');
    }
    const failure = describeFailure(err, taskId, progress.snapshot().currentStage);
    progress.failed(failure.message, failure.type ?? null);
    await notifyWebhooks(input, 'refinement.failed', progress, changes);
    throw failure;
  }
  // The staged blobs were claim checks for the stages; the published image and the row remain.
  await CancellationScope.nonCancellable(() => stages.cleanup.discardArtifacts({ taskId, userId, includePublished: false }));
  progress.completed(result);
  await notifyWebhooks(input, 'refinement.completed', progress, changes);
  const { result: _beside, ...finalProgress } = progress.snapshot();
  return { ...result, finalProgress };
}

/**
 * The last step, once the outcome is settled and visible in the progress query: the webhook
 * deliveries. Not cancellable (a cancelled run still tells its endpoints), and it never throws, so the
 * run ends with the result, failure or cancellation it already had. Branched: runs that started
 * before this step existed replay without it.
 */
async function notifyWebhooks(
  input: RefinementInput,
  type: Parameters<typeof deliverRefinementEvent>[1],
  progress: ProgressTracker,
  changes: WorkflowChanges,
): Promise<void> {
  if (!changes.has('webhooks')) return;
  const snapshot = progress.snapshot();
  await CancellationScope.nonCancellable(() => deliverRefinementEvent(input, type, snapshot, snapshot.finishedAt ?? snapshot.updatedAt));
}

type Stages = ReturnType<typeof stageActivities>;

async function runPipeline(input: RefinementInput, stages: Stages, progress: ProgressTracker): Promise<RefinementResult> {
  const { taskId, userId, originalImageUrl } = input;
  // The stores record what was asked; only the refinement itself needs the aspects to keep.
  const { preserveAspects, ...asked } = refinementRequestOf(input);

  // 1. Download Original
  const original = await progress.stage('download', () =>
    stages.download.downloadOriginalImage({
      taskId,
      originalImageUrl,
      uploadedImageKey: input.uploadedImageKey,
      ...(input.parentConceptId !== undefined ? { userId, parentConceptId: input.parentConceptId } : {}),
    }),
  );

  // 2. Apply Refinement
  const refinement = await progress.stage('refine', () =>
    stages.refine.refineConceptImage({
      taskId,
      original,
      originalImageUrl,
      ...asked,
      preserveAspects: preserveAspects ?? [],
    }),
  );
  progress.recordRefinement(refinement);

  // 3. Store Refined Image
  const image = await progress.stage('storeImage', () =>
    stages.storeImage.storeRefinedImage({
      taskId,
      userId,
      refined: refinement.refined,
      ...asked,
      originalImageUrl,
      provider: refinement.provider,
      notes: refinement.notes,
    }),
  );

  // 4. Store Refined Concept. A cancel accepted before this point is on its way from the server:
  // wait for it (the wait itself is cancelled when it arrives) instead of storing. If the request
  // could not be made, the refinement goes on. From here on the stage runs to its end.
  await condition(() => progress.cancellation?.outcome !== 'cancelling');
  if (CancellationScope.current().consideredCancelled) await CancellationScope.current().cancelRequested;
  const { conceptId } = await CancellationScope.nonCancellable(() =>
    progress.stage('storeConcept', () =>
      stages.storeConcept.storeRefinedConcept({
        taskId,
        userId,
        ...asked,
        imagePath: image.imagePath,
        imageUrl: image.imageUrl,
        originalImageUrl,
        isAnonymous: input.isAnonymous ?? true,
        parentConceptId: input.parentConceptId,
        outcome: refinement.outcome ?? null,
      }),
    ),
  );
  return { conceptId, imagePath: image.imagePath, imageUrl: image.imageUrl, originalImageUrl, taskId, outcome: refinement.outcome ?? null };
}

const STAGE_SUMMARIES: Record<Stage, string> = {
  download: 'Download and check the original image',
  refine: 'Refine the image through the concept service',
  storeImage: 'Publish the refined image with its metadata',
  storeConcept: 'Store the refined concept record',
};

const CLEANUP_SUMMARY = 'Remove staged blobs (and, if the refinement did not complete, its stored image)';

/**
 * One proxy per stage: each gets its own timeouts and retry policy. Image storage and cleanup run as
 * local activities: in the worker that runs the workflow, inside its workflow task, with no server
 * round trip of their own, so a refinement costs four workflow tasks instead of six. What that
 * trades: a worker that dies in one is noticed when its workflow task times out (the starter sets
 * 5 s) rather than after a heartbeat timeout; the stages show in the history as markers rather than
 * activity events; nothing reaches the workflow while one runs (a cancel waits for the task to report,
 * at the latest after 80 % of its timeout). Their effects were idempotent already (keys derived from
 * the task), which a local activity needs just as much.
 * The other stages stay regular activities: download, because a cancel must cut a slow transfer from
 * an untrusted host at once; refine, because it waits minutes on a provider and its task queue carries
 * the server-side rate limit for all workers; storeConcept, because a local activity's result becomes
 * durable only when its workflow task completes, and a worker dying while storing the concept must not
 * make the next one store the image again. Download and storeConcept are dispatched eagerly (to this
 * same worker, with no matching round trip) where the server allows it, as every configuration here does.
 */
function stageActivities(input: RefinementInput, changes: WorkflowChanges) {
  const local = changes.latest;
  const policies = resolveStagePolicies(input.stagePolicies);
  const proxy = (stage: Stage, extra: ActivityOptions = {}) =>
    proxyActivities<RefineryActivities>({ ...stageOptions(policies[stage], STAGE_SUMMARIES[stage]), ...extra });
  const inWorkflowTask = (name: PolicyName, summary: string) =>
    proxyLocalActivities<RefineryActivities>(localStageOptions(policies[name], summary));
  return {
    download: proxy('download'),
    refine: proxy('refine', { taskQueue: providerTaskQueue(workflowInfo().taskQueue) }),
    storeImage: local ? inWorkflowTask('storeImage', STAGE_SUMMARIES.storeImage) : proxy('storeImage'),
    storeConcept: proxy('storeConcept'),
    cleanup: local
      ? inWorkflowTask('cleanup', CLEANUP_SUMMARY)
      : // Runs started before cleanup had a policy of its own keep the options they were scheduled with.
        changes.has('bounded-cleanup')
        ? proxyActivities<RefineryActivities>(stageOptions(policies.cleanup, CLEANUP_SUMMARY))
        : proxyActivities<RefineryActivities>({
            startToCloseTimeout: '1m',
            retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 50 },
            summary: CLEANUP_SUMMARY,
          }),
  };
}

/** Whether the starter already set this search attribute to this value (then there is nothing to upsert). */
function startedWith(key: typeof userIdKey | typeof refinementStageKey, value: string): boolean {
  return workflowInfo().typedSearchAttributes.get(key) === value;
}

function localStageOptions(policy: StagePolicy, summary: string): LocalActivityOptions {
  return {
    startToCloseTimeout: policy.startToCloseTimeout,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicy(policy),
    summary,
  };
}

function stageOptions(policy: StagePolicy, summary: string): ActivityOptions {
  return {
    startToCloseTimeout: policy.startToCloseTimeout,
    heartbeatTimeout: policy.heartbeatTimeout,
    // Cleanup after a cancel must not race an attempt that is still writing.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryPolicy(policy),
    summary,
  };
}

function retryPolicy(policy: StagePolicy): RetryPolicy {
  return {
    initialInterval: policy.initialInterval,
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: policy.maximumInterval,
    maximumAttempts: policy.maximumAttempts,
  };
}

/**
 * The server accepted a cancel of this run (the signal's request, or the Web UI's) before the
 * concept was being stored: from then on the run ends Canceled whatever the running stage reports.
 */
function cancelAccepted(progress: ProgressTracker): boolean {
  return CancellationScope.current().consideredCancelled && progress.cancellation?.outcome !== 'too-late';
}

const { requestCancellation } = proxyLocalActivities<RefineryActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '2m',
});

async function requestOwnCancellation(reason: string, progress: ProgressTracker): Promise<void> {
  try {
    // Not cancellable: the request it makes is what cancels this scope.
    await CancellationScope.nonCancellable(() => requestCancellation({ reason }));
  } catch (err) {
    log.error('could not request the cancellation of this refinement', { error: String(err) });
    progress.cancellationNotDelivered();
  }
}

/** The run fails with the stage's own failure type and message, which name the task and the stage. */
function describeFailure(err: unknown, taskId: string, stage: Stage | null): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: cause.type ?? 'Error', message: cause.message, nonRetryable: true, cause: err as Error });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof Error ? cause.name : 'Error';
  return ApplicationFailure.create({ type, message: `task ${taskId}, ${stage ?? 'workflow'}: ${message}`, nonRetryable: true });
}
