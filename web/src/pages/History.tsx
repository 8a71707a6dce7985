/** The caller's refinements, newest first, with status, thumbnail and prompt; then their concepts, once the gateway lists them. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, availableRoutes, type Concept, type RefinementSummary } from '../api';
import { STATUS_LABEL, when } from '../format';

const CONCEPTS_ROUTE = '/v1/concepts';

/** One list page after another, behind a "Show older" button. */
function usePages<T>(load: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>, enabled: boolean) {
  const [items, setItems] = useState<T[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const more = async (after?: string) => {
    try {
      const page = await load(after);
      setItems((old) => [...(after ? (old ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err instanceof ApiProblem ? err.message : String(err));
    }
  };
  useEffect(() => void (enabled && more()), [enabled]);
  return { items, cursor, error, more };
}

export function History() {
  const refinements = usePages<RefinementSummary>(api.list, true);
  const [conceptsListed, setConceptsListed] = useState(false);
  useEffect(() => void availableRoutes().then((paths) => setConceptsListed(paths.has(CONCEPTS_ROUTE))), []);
  const concepts = usePages<Concept>(api.concepts, conceptsListed);
  const { items, cursor, error } = refinements;

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
        <button type="button" class="secondary" onClick={() => refinements.more(cursor)}>
          Show older
        </button>
      )}
      {conceptsListed && concepts.items && concepts.items.length > 0 && (
        <section aria-labelledby="concepts-title">
          <h2 id="concepts-title">Your concepts</h2>
          <p class="hint">Each completed refinement stored a concept; refining one again makes a lineage. Each opens its refinement.</p>
          <ul class="concept-list">
            {concepts.items.map((concept) => (
              <li key={concept.id} data-concept={concept.id} data-task={concept.taskId}>
                <a href={`#/refinements/${encodeURIComponent(concept.taskId)}`}>
                  <img src={concept.imageUrl} alt="" width={64} height={64} loading="lazy" />
                  <span class="prompt">{concept.refinementPrompt}</span>
                  <span class="badge kind">{concept.parentConceptId ? 'Refined again' : 'First of its lineage'}</span>
                  <span class="date">{when(concept.createdAt)}</span>
                </a>
              </li>
            ))}
          </ul>
          {concepts.cursor && (
            <button type="button" class="secondary" onClick={() => concepts.more(concepts.cursor!)}>
              Show older concepts
            </button>
          )}
        </section>
      )}
      {concepts.error && <p class="field-error">Could not list your concepts: {concepts.error}</p>}
    </section>
  );
}
