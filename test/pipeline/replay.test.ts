/**
 * Determinism guard: committed histories of real runs, one folder per workflow shape that may still
 * be in flight, are replayed against the current workflow code. A change that would break
 * refinements or erasures already running fails here. Record the current shapes' with
 * `RECORD_HISTORIES=1 npx jest test/pipeline/large-images.test.ts test/pipeline/erasure.test.ts` (and the other recorders).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from '../harness/histories';

const files = fs
  .readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

test('every workflow shape has histories to replay', () => {
  const shapes = new Set(files.map((f) => path.dirname(f)));
  expect([...shapes].sort()).toEqual(['erase-user', 'local-stages', 'remote-stages']);
  for (const shape of shapes) expect(files.filter((f) => path.dirname(f) === shape).length).toBeGreaterThanOrEqual(2);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
  const results = Worker.runReplayHistories(
    { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! }, replayName: file },
    [{ workflowId: file, history }],
  );
  for await (const result of results) expect(result.error).toBeUndefined();
});
