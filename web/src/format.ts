/** Small display helpers shared by the pages. */
import type { Stage } from './api';

export const STAGES: { stage: Stage; label: string }[] = [
  { stage: 'download', label: 'Download original' },
  { stage: 'refine', label: 'Apply refinement' },
  { stage: 'storeImage', label: 'Store refined image' },
  { stage: 'storeConcept', label: 'Store concept' },
];

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
