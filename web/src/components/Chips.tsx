/** "Keep unchanged" aspects as removable chips: type one and press Enter or Add. */
import { useState } from 'preact/hooks';

export function Chips(props: { id: string; label: string; values: string[]; onChange: (values: string[]) => void; describedBy?: string; invalid?: boolean }) {
  const [draft, setDraft] = useState('');
  const add = () => {
    const value = draft.trim();
    if (value && !props.values.includes(value)) props.onChange([...props.values, value]);
    setDraft('');
  };
  return (
    <div class="chips">
      <label for={props.id}>{props.label}</label>
      <p class="hint" id={`${props.id}-hint`}>
        Aspects of the image the refinement must not change, such as “shape” or “text”.
      </p>
      {props.values.length > 0 && (
        <ul class="chip-list" aria-label={props.label}>
          {props.values.map((value) => (
            <li class="chip" key={value}>
              <span>{value}</span>
              <button type="button" aria-label={`Remove ${value}`} onClick={() => props.onChange(props.values.filter((v) => v !== value))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="chip-input">
        <input
          id={props.id}
          value={draft}
          aria-describedby={[`${props.id}-hint`, props.describedBy].filter(Boolean).join(' ')}
          aria-invalid={props.invalid || undefined}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" class="secondary" onClick={add}>
          Add
        </button>
      </div>
    </div>
  );
}
