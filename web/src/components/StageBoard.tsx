/** The four stages as a board: state, elapsed time, and the attempt and last failure of a retried stage. */
import type { RefinementView } from '../api';
import { queueText, seconds, STAGES } from '../format';

type StageState = 'waiting' | 'running' | 'done' | 'failed' | 'cancelled';
const STATE_LABEL: Record<StageState, string> = { waiting: 'Waiting', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };
const STATE_ICON: Record<StageState, string> = { waiting: '○', running: '◐', done: '✓', failed: '✕', cancelled: '–' };

export function StageBoard({ view, now }: { view: RefinementView; now: number }) {
  return (
    <ol class="board" aria-label="Stages">
      {STAGES.map(({ stage, label }) => {
        const times = view.stageTimes[stage];
        let state: StageState = 'waiting';
        if (view.finishedStages.includes(stage)) state = 'done';
        else if (times || view.currentStage === stage) {
          state = view.status === 'running' ? 'running' : view.status === 'cancelled' ? 'cancelled' : view.status === 'failed' ? 'failed' : 'done';
        }
        const end = times?.finishedAt ? Date.parse(times.finishedAt) : view.status === 'running' ? now : Date.parse(view.finishedAt ?? view.updatedAt);
        const current = view.currentStage === stage && state !== 'done';
        return (
          <li class={`stage ${state}`} data-stage={stage} data-state={state} key={stage}>
            <span class="icon" aria-hidden="true">
              {STATE_ICON[state]}
            </span>
            <span class="name">{label}</span>
            <span class="state">{STATE_LABEL[state]}</span>
            {times && <span class="elapsed">{seconds(end - Date.parse(times.startedAt))}</span>}
            {current && view.attempt > 1 && <span class="attempt">Attempt {view.attempt}</span>}
            {current && view.status === 'running' && view.providerQueue && (
              <span class="queue" data-testid="provider-queue">
                {queueText(view.providerQueue)}
              </span>
            )}
            {current && view.lastFailure && <span class="failure">Last failure: {view.lastFailure}</span>}
          </li>
        );
      })}
    </ol>
  );
}
