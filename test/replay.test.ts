/**
 * Determinism guard: committed histories of real runs are replayed against the current workflow code.
 * A change that would break refinements already in flight fails here. Record new ones with
 * `RECORD_HISTORIES=1 npx jest test/refinement.large-images.test.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const results = Worker.runReplayHistories(
    { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! }, replayName: file },
    [{ workflowId: file, history }],
  );
  for await (const result of results) expect(result.error).toBeUndefined();
});
