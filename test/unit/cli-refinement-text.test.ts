/**
 * What `refinery status`, `watch`, `refine` and `list` print for a person: the stage a run is in (or
 * where it ended), a provider's queue, the outcome's applied and not-applied lists, a failure with its
 * type, and the prompt cut to a column. The end-to-end runs are in test/gateway/cli.test.ts.
 */
import type { RefinementView } from '../../src/cli/api-client';
import { listRow, queueText, refinementStatus, refinementSummary, truncate } from '../../src/cli/refinement-text';

const base: RefinementView = {
  taskId: 'task-1',
  status: 'running',
  currentStage: 'refine',
  finishedStages: ['download'],
  attempt: 1,
  lastFailure: null,
  failureType: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  stageStartedAt: '2026-01-01T00:00:01.000Z',
  stageTimes: {},
  updatedAt: '2026-01-01T00:00:01.000Z',
  finishedAt: null,
  cancellation: null,
  conceptId: null,
  imageUrl: null,
  request: null,
  original: null,
  notes: [],
  providerQueue: null,
  outcome: null,
  links: { self: '/v1/refinements/task-1', events: '/v1/refinements/task-1/events', cancel: '/v1/refinements/task-1/cancel' },
};

test('a running refinement names its stage, its attempt and where a provider queues it', () => {
  expect(refinementStatus(base)).toBe('task-1: running\nstage:   refine  finished: download');
  const queued = { ...base, attempt: 2, providerQueue: { provider: 'fal', queuePosition: 3, providerStatus: 'IN_QUEUE' } };
  expect(refinementStatus(queued)).toBe('task-1: running\nstage:   refine (attempt 2)  finished: download  queued at position 3 at fal');
  expect(queueText({ provider: 'fal', queuePosition: 0, providerStatus: 'IN_PROGRESS' })).toBe('being worked on at fal');
  expect(queueText({ provider: 'replicate', queuePosition: null, providerStatus: 'starting' })).toBe('queued at replicate (starting)');
});

test('a finished refinement says where it ended, and what the refiner applied and did not', () => {
  const done: RefinementView = {
    ...base,
    status: 'completed',
    currentStage: null,
    finishedStages: ['download', 'refine', 'storeImage', 'storeConcept'],
    conceptId: 'c-1',
    imageUrl: 'http://x/y.png',
    // Notes that repeat the outcome's entries are not printed twice.
    notes: ['applied: colours → warmer', 'not applied: “add a hat”: not something this refiner does', 'a note the outcome does not hold'],
    outcome: { status: 'partly-applied', applied: ['colours → warmer'], notApplied: ['“add a hat”: not something this refiner does'] },
  };
  expect(refinementStatus(done)).toBe(
    [
      'task-1: completed',
      'concept: c-1',
      'image:   http://x/y.png',
      'outcome: partly applied',
      'applied:',
      '  + colours → warmer',
      'not applied:',
      '  - “add a hat”: not something this refiner does',
      'notes:',
      '  - a note the outcome does not hold',
      'stage:   completed  finished: download, refine, storeImage, storeConcept',
    ].join('\n'),
  );
});

test('a failure shows its type; a run without an outcome shows its notes', () => {
  const failed: RefinementView = { ...base, status: 'failed', currentStage: null, failureType: 'InstructionsNotUnderstoodError', lastFailure: 'nothing here I can do' };
  expect(refinementSummary(failed)).toBe('task-1: failed\nfailure: InstructionsNotUnderstoodError: nothing here I can do');
  expect(refinementSummary({ ...base, status: 'completed', currentStage: null, notes: ['warmer'] })).toBe('task-1: completed\nnotes:\n  - warmer');
});

test('list rows cut the prompt to its column, on one line', () => {
  const item = { taskId: 't', status: 'completed' as const, createdAt: '2026-01-01T00:00:00.000Z', finishedAt: null, conceptId: null, thumbnailUrl: null, links: base.links };
  expect(listRow({ ...item, refinementPrompt: 'short' })).toBe('2026-01-01T00:00:00.000Z  completed  t  short');
  expect(listRow({ ...item, refinementPrompt: null })).toMatch(/ t {2}-$/);
  expect(truncate('line one\nline two '.repeat(5), 20)).toBe('line one line two l…');
  expect([...truncate('🦊'.repeat(50), 40)].length).toBe(40);
});
