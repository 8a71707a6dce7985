/**
 * Where a refinement stands, kept inside the workflow and answered by the `progress` query. It also
 * mirrors the stage into the `RefinementStage` search attribute and the Web UI's current details.
 * Timestamps use workflow time, so replays reproduce them.
 */
import { CancellationScope, setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { refinementStageKey, type StageAttemptReport } from './messages';
import type { Stage } from './stage-policies';
import type { CancellationState, RefinementOutcome, RefinementProgress, RefinementResult, StageLabel } from './types';

const STAGE_TITLES: Record<Stage, string> = {
  download: 'Download original',
  refine: 'Apply refinement',
  storeImage: 'Store refined image',
  storeConcept: 'Store refined concept',
};

/** Where a refinement stands before its first stage (the client also uses it when no worker answers). */
export function initialProgress(taskId: string, startedAt: string): RefinementProgress {
  return {
    taskId,
    status: 'running',
    currentStage: null,
    finishedStages: [],
    attempt: 0,
    lastFailure: null,
    failureType: null,
    startedAt,
    stageStartedAt: null,
    stageTimes: {},
    updatedAt: startedAt,
    finishedAt: null,
    cancellation: null,
    providerQueue: null,
    notes: [],
    outcome: null,
    result: null,
  };
}

export class ProgressTracker {
  private readonly state: RefinementProgress;
  /** Stages whose start is mirrored into the search attribute; undefined: every stage. */
  private publishedStages: readonly Stage[] | undefined;

  constructor(taskId: string) {
    this.state = initialProgress(taskId, new Date().toISOString());
  }

  snapshot(): RefinementProgress {
    // A copy, so no caller holds live state (structuredClone is not in the workflow sandbox).
    return JSON.parse(JSON.stringify(this.state)) as RefinementProgress;
  }

  get cancellation(): CancellationState | null {
    return this.state.cancellation;
  }

  /** Past the point where a cancel can still undo the refinement. */
  get storingConcept(): boolean {
    return this.state.currentStage === 'storeConcept' || this.state.status !== 'running';
  }

  /**
   * Mirrors only these stages' starts (and the end) into the search attribute. Each upsert is a
   * command, an event and a visibility write; stages that run inside one workflow task would only
   * overwrite each other before anyone could see them, and the starter sets the first one.
   */
  publishOnly(stages: readonly Stage[]): void {
    this.publishedStages = stages;
  }

  /**
   * Runs one stage, recording its start and end. Once the server has accepted a cancel of the run,
   * nothing more is recorded as begun or done: a stage started then is refused at once (its activity
   * is never scheduled), and an attempt that finished its work anyway (a refiner busy computing when
   * the cancel came) has its result thrown away by the cleanup, so it did not finish for the user.
   * The search-attribute upsert stays as it always was: a replayed run must issue the same commands.
   */
  async stage<T>(stage: Stage, run: () => Promise<T>): Promise<T> {
    if (cancelAccepted()) {
      if (!this.publishedStages || this.publishedStages.includes(stage)) upsertSearchAttributes([{ key: refinementStageKey, value: stage }]);
      return run();
    }
    this.state.currentStage = stage;
    this.state.attempt = 1;
    this.state.lastFailure = null;
    this.state.providerQueue = null;
    this.state.stageStartedAt = this.touch();
    this.state.stageTimes[stage] = { startedAt: this.state.stageStartedAt, finishedAt: null };
    if (this.publishedStages && !this.publishedStages.includes(stage)) this.publishDetails();
    else this.publish(stage);
    const result = await run();
    if (cancelAccepted()) return result;
    this.state.finishedStages.push(stage);
    this.state.stageTimes[stage]!.finishedAt = this.touch();
    return result;
  }

  recordAttempt(report: StageAttemptReport): void {
    if (report.stage !== this.state.currentStage) return; // a late report from a stage already left
    const fromEarlierAttempt = report.attempt < this.state.attempt;
    this.state.attempt = Math.max(this.state.attempt, report.attempt);
    if (report.failure) this.state.lastFailure = report.failure;
    // Only a waiting report says the work is queued; a retry starting or an attempt failing ends that.
    if (!fromEarlierAttempt) this.state.providerQueue = report.waiting ?? null;
    this.touch();
    this.publishDetails();
  }

  /**
   * The refiner's account of what it did, kept only while the run is not being cancelled (see
   * stage()). The outcome is absent from refine results recorded before outcomes existed.
   */
  recordRefinement({ notes, outcome }: { notes: string[]; outcome?: RefinementOutcome }): void {
    if (cancelAccepted()) return;
    this.state.notes.push(...notes);
    this.state.outcome = outcome ?? null;
  }

  requestCancellation(reason: string): void {
    this.state.cancellation = { reason, requestedAt: this.touch(), outcome: 'cancelling' };
  }

  /** The cancel request could not be made: forget it, so the refinement goes on and may be cancelled again. */
  cancellationNotDelivered(): void {
    if (this.state.cancellation?.outcome === 'cancelling') this.state.cancellation = null;
    this.touch();
  }

  /** A cancel that came when the concept was already being stored: recorded, and nothing else. */
  refuseCancellation(reason: string): void {
    this.state.cancellation ??= { reason, requestedAt: this.touch(), outcome: 'too-late' };
  }

  completed(result: RefinementResult): void {
    this.state.result = result;
    if (this.state.cancellation) this.state.cancellation.outcome = 'too-late';
    this.finish('completed');
  }

  failed(message: string, type: string | null = null): void {
    this.state.lastFailure = message;
    this.state.failureType = type;
    this.finish('failed');
  }

  cancelled(): void {
    this.state.cancellation ??= {
      reason: 'cancel requested through Temporal',
      requestedAt: this.touch(),
      outcome: 'cancelled',
    };
    this.state.cancellation.outcome = 'cancelled';
    // The memo is what the Web UI and `describe()` show of a closed run: the reason belongs there.
    upsertMemo({ cancellationReason: this.state.cancellation.reason });
    this.finish('cancelled');
  }

  private finish(status: 'completed' | 'failed' | 'cancelled'): void {
    this.state.status = status;
    this.state.currentStage = null;
    this.state.providerQueue = null;
    this.state.finishedAt = this.touch();
    this.publish(status);
  }

  private touch(): string {
    this.state.updatedAt = new Date().toISOString();
    return this.state.updatedAt;
  }

  private publish(label: StageLabel): void {
    upsertSearchAttributes([{ key: refinementStageKey, value: label }]);
    this.publishDetails();
  }

  private publishDetails(): void {
    const s = this.state;
    const lines = [`**Refinement ${s.taskId}**: ${s.status}`, ''];
    for (const stage of Object.keys(STAGE_TITLES) as Stage[]) {
      const mark = s.finishedStages.includes(stage) ? 'done' : s.currentStage === stage ? `running (attempt ${s.attempt})` : '';
      lines.push(`- ${STAGE_TITLES[stage]}: ${mark || 'pending'}`);
    }
    if (s.providerQueue) {
      const place = s.providerQueue.queuePosition === null ? '' : s.providerQueue.queuePosition === 0 ? ', being worked on' : `, position ${s.providerQueue.queuePosition}`;
      lines.push('', `Provider queue: ${s.providerQueue.providerStatus}${place}`);
    }
    if (s.lastFailure) lines.push('', `Last failure: ${s.lastFailure}`);
    if (s.cancellation) lines.push('', `Cancellation (${s.cancellation.outcome}): ${s.cancellation.reason}`);
    setCurrentDetails(lines.join('\n'));
  }
}

/** The server accepted a cancel of this run: whatever the running stage still returns is discarded. */
function cancelAccepted(): boolean {
  return CancellationScope.current().consideredCancelled;
}
