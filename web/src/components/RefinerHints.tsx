/**
 * What the configured refiner understands, beside the prompt field: which refiner runs and whether it
 * takes any prompt or only some kinds of instruction; those kinds with example phrasings, and the
 * aspects it can keep unchanged, one click away. From GET /v1/limits; nothing while it is not known.
 */
import type { RefinerCapabilities } from '../api';

export function RefinerHints({ refiner }: { refiner?: RefinerCapabilities }) {
  if (!refiner) return null;
  const listed = refiner.understands === 'instructions' && refiner.instructions.length > 0;
  return (
    <div class="refiner-hints" data-testid="refiner-hints">
      <p>
        Refiner: <strong data-testid="refiner-name">{refiner.refiner}</strong>
        {refiner.understands === 'open-prompt' ? ', a model that takes any prompt.' : ', which carries out only the kinds of instruction it knows.'}
      </p>
      {(listed || refiner.preservableAspects.length > 0) && (
        <details>
          <summary>{listed ? 'What it understands, with examples' : 'What it can keep unchanged'}</summary>
          {listed && (
            <ul>
              {refiner.instructions.map((i) => (
                <li key={i.kind}>
                  {i.description}
                  {i.examples.length > 0 && <> For example {i.examples.map((e) => `“${e}”`).join(', ')}.</>}
                </li>
              ))}
            </ul>
          )}
          {refiner.preservableAspects.length > 0 && <p>It can keep unchanged: {refiner.preservableAspects.join(', ')}.</p>}
        </details>
      )}
    </div>
  );
}
