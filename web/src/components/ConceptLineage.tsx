/**
 * A completed refinement's concept in its lineage: a strip of thumbnails from the lineage's first
 * concept to this one, then the concepts refined from it, and a "Refine again" form that starts a
 * refinement of this concept. Both wait for /openapi.json to list the lineage routes, so the page
 * still works against a gateway without them.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, availableRoutes, type Concept, type Limits, type Lineage } from '../api';
import { navigate } from '../router';
import { when } from '../format';
import { checkRequest, fromProblem, type Errors } from '../validation';
import { RequestFields, type FieldIds } from './RequestFields';
import { RefinerHints } from './RefinerHints';

/** The routes this component waits for. */
export const LINEAGE_ROUTE = '/v1/concepts/{conceptId}/lineage';
export const REFINE_AGAIN_ROUTE = '/v1/concepts/{conceptId}/refinements';

let limits: Promise<Limits> | undefined;

export interface LineageState {
  available: { lineage: boolean; refineAgain: boolean };
  lineage?: Lineage;
  error?: string;
}

/** The concept's lineage, once the gateway has the route; nothing while `conceptId` is null (still running). */
export function useLineage(conceptId: string | null): LineageState {
  const [state, setState] = useState<LineageState>({ available: { lineage: false, refineAgain: false } });
  useEffect(() => {
    if (!conceptId) return;
    let live = true;
    void availableRoutes().then(async (paths) => {
      const available = { lineage: paths.has(LINEAGE_ROUTE), refineAgain: paths.has(REFINE_AGAIN_ROUTE) };
      if (live) setState({ available });
      if (!available.lineage) return;
      try {
        const lineage = await api.lineage(conceptId);
        if (live) setState({ available, lineage });
      } catch (err) {
        if (live) setState({ available, error: err instanceof ApiProblem ? err.message : String(err) });
      }
    });
    return () => void (live = false);
  }, [conceptId]);
  return state;
}

/** The concept this one was refined from, when the lineage still has it. */
export function parentOf(lineage: Lineage | undefined, conceptId: string): Concept | undefined {
  const chain = lineage?.chain ?? [];
  const here = chain.findIndex((c) => c.id === conceptId);
  return here > 0 ? chain[here - 1] : undefined;
}

export function ConceptLineage({ conceptId, state, keptAspects }: { conceptId: string; state: LineageState; keptAspects: string[] }) {
  const { available, lineage, error } = state;
  if (!available.lineage && !available.refineAgain) return null;
  const concept = lineage?.chain.find((c) => c.id === conceptId);
  return (
    <div class="lineage" data-concept={conceptId}>
      {available.lineage && (
        <section aria-labelledby="lineage-title">
          <h2 id="lineage-title">Lineage</h2>
          {error && <p class="field-error">Could not load the lineage: {error}</p>}
          {!lineage && !error && <p role="status">Loading the lineage…</p>}
          {lineage && <Strip lineage={lineage} current={conceptId} />}
        </section>
      )}
      {available.refineAgain && (concept || !available.lineage || error) && (
        // Without the lineage route the descriptions stay empty, and the API uses the concept's own.
        <RefineAgain conceptId={conceptId} concept={concept} keptAspects={keptAspects} />
      )}
    </div>
  );
}

function Strip({ lineage, current }: { lineage: Lineage; current: string }) {
  const item = (concept: Concept, label: string) => (
    <li key={concept.id} data-concept={concept.id} data-task={concept.taskId}>
      <a href={`#/refinements/${encodeURIComponent(concept.taskId)}`} aria-current={concept.id === current ? 'page' : undefined} title={when(concept.createdAt)}>
        <img src={concept.imageUrl} alt="" width={96} height={96} loading="lazy" />
        <span class="step">{label}</span>
        <span class="prompt">{concept.refinementPrompt}</span>
      </a>
    </li>
  );
  return (
    <>
      <p class="hint">
        From the first concept to this one{lineage.children.length > 0 ? ', then the concepts refined from it' : ''}. Each opens its refinement.
      </p>
      <div class="strip-row">
        <ol class="strip" aria-label="From the first concept to this one">
          {lineage.truncated && (
            <li class="gap">
              <span>Earlier steps deleted</span>
            </li>
          )}
          {lineage.chain.map((c, i) => item(c, c.id === current ? 'This one' : `Step ${i + 1}`))}
        </ol>
        {lineage.children.length > 0 && (
          <ul class="strip children" aria-label="Refined from this one">
            {lineage.children.map((c, i) => item(c, `Next ${i + 1}`))}
          </ul>
        )}
      </div>
    </>
  );
}

const FIELD_IDS: FieldIds = {
  refinementPrompt: 'again-prompt',
  logoDescription: 'again-logo',
  themeDescription: 'again-theme',
  preserveAspects: 'again-aspects',
};

function RefineAgain({ conceptId, concept, keptAspects }: { conceptId: string; concept?: Concept; keptAspects: string[] }) {
  const [draft, setDraft] = useState({
    refinementPrompt: '',
    logoDescription: concept?.logoDescription ?? '',
    themeDescription: concept?.themeDescription ?? '',
    preserveAspects: keptAspects,
  });
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [known, setKnown] = useState<Limits | undefined>();
  useEffect(() => {
    limits ??= api.limits();
    limits.then(setKnown, () => (limits = undefined));
  }, []);

  const set = <K extends keyof typeof draft>(key: K, value: (typeof draft)[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined, form: undefined }));
  };
  const show = (found: Errors) => {
    setErrors(found);
    // Focus the first field to fix; its error is read out with it (aria-describedby).
    const first = Object.keys(FIELD_IDS).find((k) => found[k as keyof Errors]);
    requestAnimationFrame(() => document.getElementById(first ? FIELD_IDS[first]! : 'again-form-error')?.focus());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    // Without the limits the API's own check still answers, field by field.
    const found = known ? checkRequest(draft, known) : {};
    if (Object.keys(found).length > 0) return show(found);
    setBusy(true);
    try {
      const started = await api.refineConcept(conceptId, {
        refinementPrompt: draft.refinementPrompt,
        ...(draft.logoDescription.trim() ? { logoDescription: draft.logoDescription } : {}),
        ...(draft.themeDescription.trim() ? { themeDescription: draft.themeDescription } : {}),
        ...(draft.preserveAspects.length ? { preserveAspects: draft.preserveAspects } : {}),
      });
      navigate(`/refinements/${encodeURIComponent(started.taskId)}`);
    } catch (err) {
      show(err instanceof ApiProblem ? fromProblem(err.status, err.title, err.detail, err.errors) : { form: String(err) });
    } finally {
      setBusy(false);
    }
  };

  const formError = errors.form ?? errors.image ?? errors.originalImageUrl;

  return (
    <section class="refine-again" aria-labelledby="again-title">
      <h2 id="again-title">Refine again</h2>
      <p class="hint">Starts a new refinement whose original is this concept's image.</p>
      <form onSubmit={submit} noValidate class="refine-form">
        {formError && (
          <p class="field-error" role="alert" id="again-form-error" tabIndex={-1}>
            {formError}
          </p>
        )}
        <RequestFields
          ids={FIELD_IDS}
          draft={draft}
          errors={errors}
          prompt={{ label: 'What to change next', hint: known?.refiner ? <RefinerHints refiner={known.refiner} /> : undefined, rows: 2, required: true }}
          onText={(key, value) => set(key, value)}
          onAspects={(values) => set('preserveAspects', values)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Refine again'}
        </button>
      </form>
    </section>
  );
}
