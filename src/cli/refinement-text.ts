/** How the CLI prints a refinement for a person: its state, its stage, and what the refiner did with the prompt. */
import type { RefinementList, RefinementView } from './api-client';

const OUTCOME_LABEL: Record<NonNullable<RefinementView['outcome']>['status'], string> = {
  applied: 'applied',
  'partly-applied': 'partly applied',
  delegated: 'delegated to the model',
};

/** The end state: status, concept and image, failure, cancellation, then the refiner's account. */
export function refinementSummary(view: RefinementView): string {
  const lines = [`${view.taskId}: ${view.status}`];
  if (view.conceptId) lines.push(`concept: ${view.conceptId}`, `image:   ${view.imageUrl}`);
  if (view.lastFailure) lines.push(`failure: ${view.failureType ? `${view.failureType}: ` : ''}${view.lastFailure}`);
  if (view.cancellation) lines.push(`cancel:  ${view.cancellation.outcome} (${view.cancellation.reason})`);
  return [...lines, ...outcomeLines(view)].join('\n');
}

/** Where a refinement stands now: the summary, then the stage it is in (or the last one it finished). */
export function refinementStatus(view: RefinementView): string {
  return `${refinementSummary(view)}\n${stageLine(view)}`;
}

function stageLine(view: RefinementView): string {
  const finished = `finished: ${view.finishedStages.join(', ') || '-'}`;
  if (view.currentStage) {
    const attempt = view.attempt > 1 ? ` (attempt ${view.attempt})` : '';
    const queue = view.providerQueue ? `  ${queueText(view.providerQueue)}` : '';
    return `stage:   ${view.currentStage}${attempt}  ${finished}${queue}`;
  }
  // Not in a stage: before the first, or after the run ended (then say where it ended).
  const label = view.status === 'running' ? 'starting' : view.status;
  return `stage:   ${label}  ${finished}`;
}

/** What the refiner applied and what it did not; its notes when it gave no outcome (older runs). */
export function outcomeLines(view: Pick<RefinementView, 'outcome' | 'notes'>): string[] {
  const { outcome, notes } = view;
  if (!outcome) return notes.length ? ['notes:', ...notes.map((n) => `  - ${n}`)] : [];
  return [
    `outcome: ${OUTCOME_LABEL[outcome.status]}`,
    ...(outcome.applied.length ? ['applied:', ...outcome.applied.map((a) => `  + ${a}`)] : []),
    ...(outcome.notApplied.length ? ['not applied:', ...outcome.notApplied.map((a) => `  - ${a}`)] : []),
    // Notes the outcome does not already say.
    ...notesBeyond(notes, outcome),
  ];
}

function notesBeyond(notes: string[], outcome: NonNullable<RefinementView['outcome']>): string[] {
  const said = new Set([...outcome.applied, ...outcome.notApplied]);
  // Refiners often repeat the outcome's entries in their notes as "applied: …" or "not applied: …".
  const extra = notes.filter((n) => !said.has(n) && !said.has(n.replace(/^(not )?applied: /, '')));
  return extra.length ? ['notes:', ...extra.map((n) => `  - ${n}`)] : [];
}

/** Where a queue provider holds the work: "queued at position 3 at fal", or being worked on. */
export function queueText(queue: NonNullable<RefinementView['providerQueue']>): string {
  if (queue.queuePosition === 0) return `being worked on at ${queue.provider}`;
  if (queue.queuePosition === null) return `queued at ${queue.provider} (${queue.providerStatus})`;
  return `queued at position ${queue.queuePosition} at ${queue.provider}`;
}

const PROMPT_WIDTH = 40;

/** One row of `refinery list`: when, status, task id, and the prompt cut to a column. */
export function listRow(item: RefinementList['items'][number]): string {
  return `${item.createdAt}  ${item.status.padEnd(9)}  ${item.taskId}  ${truncate(item.refinementPrompt ?? '-', PROMPT_WIDTH)}`;
}

/** Cut to `width` characters (code points, on one line), with an ellipsis when cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= width ? chars.join('') : `${chars.slice(0, width - 1).join('')}…`;
}
