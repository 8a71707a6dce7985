/** One refinement: the live stage board while it runs (with Cancel), then before and after. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, watchRefinement, type RefinementView } from '../api';
import { Compare } from '../components/Compare';
import { FailureMessage, OutcomePanel } from '../components/Outcome';
import { ConceptLineage, parentOf, useLineage } from '../components/ConceptLineage';
import { StageBoard } from '../components/StageBoard';
import { seconds, STATUS_LABEL } from '../format';

const RECONNECT_MS = 2_000;

export function Refinement({ taskId }: { taskId: string }) {
  const [view, setView] = useState<RefinementView | undefined>();
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [now, setNow] = useState(Date.now());
  const [reason, setReason] = useState('');
  const [cancelState, setCancelState] = useState<{ busy?: boolean; error?: string; sent?: boolean }>({});
  const lineage = useLineage(view?.conceptId ?? null);

  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      let current: RefinementView;
      try {
        current = await api.get(taskId);
      } catch (err) {
        return setProblem(err instanceof ApiProblem ? err : new ApiProblem(0, 'Error', String(err)));
      }
      const show = (next: RefinementView) => {
        setView(next);
        setNow(Date.now());
      };
      show(current);
      // Follow the stream; when it breaks off (network, gateway restart), read the state and resume.
      while (current.status === 'running' && !stop.signal.aborted) {
        try {
          current = await watchRefinement(taskId, show, stop.signal);
        } catch {
          if (stop.signal.aborted) return;
          await new Promise((r) => setTimeout(r, RECONNECT_MS));
          current = await api.get(taskId).catch(() => current);
          show(current);
        }
      }
    })();
    return () => stop.abort();
  }, [taskId]);

  useEffect(() => {
    if (view?.status !== 'running') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [view?.status]);

  if (problem) {
    return (
      <section>
        <h1 tabIndex={-1}>{problem.status === 404 ? 'Refinement not found' : 'Could not load the refinement'}</h1>
        <p role="alert">{problem.status === 404 ? 'There is no refinement of yours with this id.' : problem.message}</p>
        <p>
          <a href="#/history">Back to your history</a>
        </p>
      </section>
    );
  }
  if (!view) {
    return (
      <section>
        <h1 tabIndex={-1}>Refinement</h1>
        <p role="status">Loading…</p>
      </section>
    );
  }

  const cancel = async (e: Event) => {
    e.preventDefault();
    setCancelState({ busy: true });
    try {
      await api.cancel(taskId, reason.trim());
      setCancelState({ sent: true });
    } catch (err) {
      setCancelState({ error: err instanceof ApiProblem ? (err.detail ?? err.title) : String(err) });
    }
  };
  const total = (view.finishedAt ? Date.parse(view.finishedAt) : now) - Date.parse(view.startedAt);
  const request = view.request;
  // A refinement of a stored concept has no original of its own: its "before" is the parent concept's image.
  const parent = view.conceptId ? parentOf(lineage.lineage, view.conceptId) : undefined;
  const original = view.original ?? (parent ? { url: parent.imageUrl, uploaded: true } : null);

  return (
    <section>
      <h1 tabIndex={-1}>{request ? request.refinementPrompt : 'Refinement'}</h1>
      <p class="meta">
        <span class={`badge ${view.status}`} data-testid="status">
          {STATUS_LABEL[view.status]}
        </span>{' '}
        <span role="status" aria-live="polite" class="sr-only">
          {STATUS_LABEL[view.status]}
        </span>
        <span>{seconds(total)} in all</span> · <span class="mono">{view.taskId}</span>
      </p>
      <StageBoard view={view} now={now} />
      {view.status === 'running' && !cancelState.sent && (
        <form class="cancel" onSubmit={cancel} noValidate>
          <label for="cancel-reason">Reason for cancelling (optional)</label>
          <div class="row">
            <input id="cancel-reason" value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} aria-describedby={cancelState.error ? 'cancel-error' : undefined} />
            <button type="submit" class="danger" disabled={cancelState.busy}>
              Cancel refinement
            </button>
          </div>
          {cancelState.error && (
            <p class="field-error" id="cancel-error">
              {cancelState.error}
            </p>
          )}
        </form>
      )}
      {view.status === 'running' && cancelState.sent && <p class="notice">Cancelling: the running stage is being stopped…</p>}
      {view.cancellation && view.status !== 'running' && (
        <p class="notice">
          {view.cancellation.outcome === 'too-late' ? 'The cancel came too late: the concept was already being stored.' : 'Cancelled'}
          {view.cancellation.reason ? `: “${view.cancellation.reason}”` : ''}
        </p>
      )}
      {view.status === 'failed' && <FailureMessage view={view} />}
      {view.status === 'completed' && view.imageUrl && <Compare original={original} refined={view.imageUrl} />}
      {request && (
        <dl class="details">
          <dt>What to change</dt>
          <dd>{request.refinementPrompt}</dd>
          <dt>Logo</dt>
          <dd>{request.logoDescription}</dd>
          <dt>Theme</dt>
          <dd>{request.themeDescription}</dd>
          {request.preserveAspects.length > 0 && (
            <>
              <dt>Kept unchanged</dt>
              <dd>{request.preserveAspects.join(', ')}</dd>
            </>
          )}
        </dl>
      )}
      {view.status !== 'running' && <OutcomePanel outcome={view.outcome} notes={view.notes} />}
      {view.conceptId && <ConceptLineage conceptId={view.conceptId} state={lineage} keptAspects={request?.preserveAspects ?? []} />}
    </section>
  );
}
