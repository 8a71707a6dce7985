/** Small display helpers shared by the pages. */
import type { RefinementView, Stage } from './api';

export const STAGES: { stage: Stage; label: string }[] = [
  { stage: 'download', label: 'Download original' },
  { stage: 'refine', label: 'Apply refinement' },
  { stage: 'storeImage', label: 'Store refined image' },
  { stage: 'storeConcept', label: 'Store concept' },
];

/** Where a queue provider holds the work: "Queued at position 3 at fal", or being worked on. */
export function queueText(queue: NonNullable<RefinementView['providerQueue']>): string {
  if (queue.queuePosition === 0) return `Being worked on at ${queue.provider}`;
  if (queue.queuePosition === null) return `Queued at ${queue.provider} (${queue.providerStatus})`;
  return `Queued at position ${queue.queuePosition} at ${queue.provider}`;
}

export function seconds(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const STATUS_LABEL: Record<string, string> = { running: 'Running', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };
