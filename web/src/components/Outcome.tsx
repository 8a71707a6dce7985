/**
 * What the refiner did with the prompt, for a finished refinement: a badge (applied, partly applied,
 * or delegated to a model that does not say), the instructions it carried out and those it did not,
 * with why; notes the outcome does not already say follow. Refinements from before outcomes were kept
 * show their notes alone.
 */
import type { RefinementView } from '../api';

type Outcome = NonNullable<RefinementView['outcome']>;

const BADGE: Record<Outcome['status'], string> = { applied: 'Applied', 'partly-applied': 'Partly applied', delegated: 'Interpreted by the model' };

export function OutcomePanel({ outcome, notes }: Pick<RefinementView, 'outcome' | 'notes'>) {
  const extra = notesBeyond(notes, outcome);
  if (!outcome && extra.length === 0) return null;
  return (
    <section class="outcome" aria-labelledby="outcome-title" data-testid="outcome">
      <h2 id="outcome-title">
        What the refiner did{' '}
        {outcome && (
          <span class={`badge outcome-${outcome.status}`} data-testid="outcome-status">
            {BADGE[outcome.status]}
          </span>
        )}
      </h2>
      {outcome && outcome.applied.length > 0 && (
        <>
          <h3 id="applied-title">Applied</h3>
          <ul aria-labelledby="applied-title" data-testid="applied">
            {outcome.applied.map((a, i) => (
              <li key={i}>{a}</li>
            ))}
          </ul>
        </>
      )}
      {outcome && outcome.notApplied.length > 0 && (
        <>
          <h3 id="not-applied-title">Not applied</h3>
          <ul aria-labelledby="not-applied-title" data-testid="not-applied">
            {outcome.notApplied.map((a, i) => (
              <li key={i}>{a}</li>
            ))}
          </ul>
        </>
      )}
      {extra.length > 0 && (
        <>
          <h3 id="notes-title">Refiner's notes</h3>
          <ul aria-labelledby="notes-title">
            {extra.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/**
 * Notes the outcome does not already say. A refiner's notes often repeat its outcome's entries as
 * "applied: …" and "not applied: …"; those are not shown twice.
 */
export function notesBeyond(notes: string[], outcome: RefinementView['outcome']): string[] {
  if (!outcome) return notes;
  const said = new Set([...outcome.applied, ...outcome.notApplied]);
  return notes.filter((n) => !said.has(n) && !said.has(n.replace(/^(not )?applied: /, '')));
}

/** The failure line of a failed refinement: a prompt the refiner could not act on says so plainly. */
export function FailureMessage({ view }: { view: Pick<RefinementView, 'failureType' | 'lastFailure'> }) {
  if (!view.lastFailure) return null;
  if (view.failureType === 'InstructionsNotUnderstoodError') {
    // The run's failure names its task and stage ("task …, refine: "): the page shows those already.
    const message = view.lastFailure.replace(/^task \S+, refine: /, '');
    return (
      <div class="not-understood" role="alert" data-testid="failure">
        <p class="title">The refiner could not act on this prompt.</p>
        <p data-testid="failure-message">{message}</p>
        <p>
          <a href="#/new">Start a new refinement</a> with a prompt it understands.
        </p>
      </div>
    );
  }
  return (
    <p class="field-error" data-testid="failure">
      Failed: {view.lastFailure}
    </p>
  );
}
