/**
 * What an erasure removed, per kind: the only thing about a user's data that an erasure keeps (in its
 * audit row and its own workflow history). Numbers only, never an id, a prompt or a URL.
 */
export interface ErasureCounts {
  /** Refinement runs whose histories were deleted from Temporal (replays of webhook deliveries included). */
  workflowRuns: number;
  /** Of those, runs that were still running and were cancelled (or, past the grace time, terminated) first. */
  runsCancelled: number;
  conceptRows: number;
  /** Other users' concepts whose parent was one of the erased concepts (now marked parent-deleted). */
  lineageLinksDetached: number;
  refinedImages: number;
  uploadedOriginals: number;
  stagedBlobs: number;
  webhookEndpoints: number;
  webhookDeliveries: number;
  apiKeys: number;
  /** The gateway's ownership rows (which carry the status cache and the stored request). */
  refinementRecords: number;
  /** Of those, rows that held an Idempotency-Key. */
  idempotencyKeys: number;
}

export const ERASURE_COUNT_KINDS = [
  'workflowRuns',
  'runsCancelled',
  'conceptRows',
  'lineageLinksDetached',
  'refinedImages',
  'uploadedOriginals',
  'stagedBlobs',
  'webhookEndpoints',
  'webhookDeliveries',
  'apiKeys',
  'refinementRecords',
  'idempotencyKeys',
] as const satisfies readonly (keyof ErasureCounts)[];

export function noCounts(): ErasureCounts {
  return Object.fromEntries(ERASURE_COUNT_KINDS.map((kind) => [kind, 0])) as unknown as ErasureCounts;
}

/** `counts` with every kind present (older or partial records read as zeros). */
export function completeCounts(counts: Partial<ErasureCounts> | undefined): ErasureCounts {
  const complete = noCounts();
  for (const kind of ERASURE_COUNT_KINDS) complete[kind] = Number(counts?.[kind] ?? 0);
  return complete;
}
