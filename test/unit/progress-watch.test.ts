/**
 * RefinementClient.watch's pace: the wait between looks grows by half after each look that saw no
 * change, up to its maximum, and is short again after a change; progress the caller already read is
 * reported without reading it again.
 */
import type { Client } from '@temporalio/client';
import { RefinementClient } from '../../src/client/refinements';
import { initialProgress } from '../../src/workflows/progress';
import type { RefinementProgress } from '../../src/workflows/types';

/** A client whose progress reads replay a script and are timed. */
class ScriptedClient extends RefinementClient {
  readonly readAt: number[] = [];
  constructor(private readonly script: RefinementProgress[]) {
    super({ workflow: { options: { namespace: 'default' } } } as unknown as Client, { taskQueue: 'unused' });
  }
  override async progress(): Promise<RefinementProgress> {
    this.readAt.push(performance.now());
    const next = this.script.shift();
    if (!next) throw new Error('read past the end of the script');
    return next;
  }
}

const running = (stage: RefinementProgress['currentStage']): RefinementProgress => ({ ...initialProgress('t', '2026-01-01T00:00:00.000Z'), currentStage: stage });
const completed: RefinementProgress = { ...running(null), status: 'completed' };

test('waits grow by half while nothing changes, up to the maximum, and shrink after a change', async () => {
  const client = new ScriptedClient([...Array(6).fill(running('download')), running('refine'), running('refine'), completed]);
  const changes: string[] = [];
  await client.watch('t', (p) => changes.push(`${p.status}:${p.currentStage}`), { intervalMs: 40, maxIntervalMs: 120 });

  expect(changes).toEqual(['running:download', 'running:refine', 'completed:null']);
  const gaps = client.readAt.slice(1).map((at, i) => at - client.readAt[i]);
  // Waits before each read: 40 after the first sight, then 60, 90, 120 (capped), 120, 120; 40 after the change; 60.
  const expected = [40, 60, 90, 120, 120, 120, 40, 60];
  expect(gaps).toHaveLength(expected.length);
  gaps.forEach((gap, i) => {
    expect(gap).toBeGreaterThanOrEqual(expected[i] - 2);
    expect(gap).toBeLessThan(expected[i] + 35);
  });
});

test('progress the caller has just read is reported first and not read again', async () => {
  const client = new ScriptedClient([completed]);
  const changes: RefinementProgress[] = [];
  const last = await client.watch('t', (p) => changes.push(p), { intervalMs: 10, initial: running('refine') });
  expect(changes.map((p) => p.currentStage)).toEqual(['refine', null]);
  expect(last.status).toBe('completed');
  expect(client.readAt).toHaveLength(1);
});

test('an ended run seen first is the answer: nothing is read', async () => {
  const client = new ScriptedClient([]);
  expect(await client.watch('t', () => undefined, { initial: completed })).toBe(completed);
  expect(client.readAt).toHaveLength(0);
});

test('an aborted watch stops before its next read', async () => {
  const client = new ScriptedClient([running('download'), running('download')]);
  const stop = new AbortController();
  const watching = client.watch('t', () => stop.abort(new Error('left')), { intervalMs: 10, signal: stop.signal });
  await expect(watching).rejects.toThrow('left');
  expect(client.readAt).toHaveLength(1);
});
