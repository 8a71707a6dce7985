/** The caller's refinements, newest first, with status, thumbnail and prompt. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, type RefinementSummary } from '../api';
import { STATUS_LABEL, when } from '../format';

export function History() {
  const [items, setItems] = useState<RefinementSummary[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();

  const load = async (after?: string) => {
    try {
      const page = await api.list(after);
      setItems((old) => [...(after ? (old ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err instanceof ApiProblem ? err.message : String(err));
    }
  };
  useEffect(() => void load(), []);

  return (
    <section>
      <h1 tabIndex={-1}>Your refinements</h1>
      {error && <p role="alert" class="field-error">{error}</p>}
      {!items && !error && <p role="status">Loading…</p>}
      {items?.length === 0 && (
        <p>
          Nothing yet. <a href="#/new">Start your first refinement</a>.
        </p>
      )}
      {items && items.length > 0 && (
        <ul class="history">
          {items.map((item) => (
            <li key={item.taskId} data-task={item.taskId}>
              <a href={`#/refinements/${encodeURIComponent(item.taskId)}`}>
                {item.thumbnailUrl ? <img src={item.thumbnailUrl} alt="" width={64} height={64} loading="lazy" /> : <span class="thumb-empty" aria-hidden="true" />}
                <span class="prompt">{item.refinementPrompt ?? item.taskId}</span>
                <span class={`badge ${item.status}`}>{STATUS_LABEL[item.status]}</span>
                <span class="date">{when(item.createdAt)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => load(cursor)}>
          Show older
        </button>
      )}
    </section>
  );
}
