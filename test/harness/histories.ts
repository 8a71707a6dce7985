/**
 * Histories of real runs for the replay test (test/replay.test.ts). Each workflow shape has its own
 * folder: the shapes of runs that may still be in flight are kept, frozen, and the current one is
 * re-recorded with RECORD_HISTORIES=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = path.join(__dirname, '..', 'pipeline', 'histories');
/** The shape new refinements take; older shapes' folders are never rewritten. */
const CURRENT_SHAPE = 'local-stages';
/** The erasure workflow's shape. */
export const ERASURE_SHAPE = 'erase-user';

/** Writes the history as `<name>.json` of a shape (the current refinement's by default), when RECORD_HISTORIES is set. */
export function recordHistory(name: string, history: temporal.api.history.v1.IHistory, shape = CURRENT_SHAPE): void {
  if (!process.env.RECORD_HISTORIES) return;
  fs.mkdirSync(path.join(HISTORIES_DIR, shape), { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, shape, `${name}.json`), historyToJSON(history));
}
