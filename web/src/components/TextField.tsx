/**
 * A labelled text field with its optional hint and its error, the shape of every text field of the
 * request forms. The field's `aria-describedby` names the hint and, while there is one, the error,
 * so a screen reader reads both with the field.
 */
import type { ComponentChildren } from 'preact';

/** `aria-describedby` of the field `id`: its hint, and its error while it has one. */
export function describedBy(id: string, error: string | undefined, hintId?: string): string | undefined {
  return [hintId, error ? `${id}-error` : undefined].filter(Boolean).join(' ') || undefined;
}

/** The error paragraph of the field `id` (what `describedBy` points at), nothing without an error. */
export function FieldError({ id, error }: { id: string; error?: string }) {
  return error ? (
    <p class="field-error" id={`${id}-error`}>
      {error}
    </p>
  ) : null;
}

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  error?: string;
  onInput: (value: string) => void;
  /** Under the label, with the id `<id>-hint`. */
  hint?: ComponentChildren;
  /** A textarea of this many rows; a one-line input without it. */
  rows?: number;
  /** A one-line input for a web address (its own keyboard on phones). */
  url?: boolean;
  required?: boolean;
}

export function TextField({ id, label, value, error, onInput, hint, rows, url, required }: TextFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const field = {
    id,
    value,
    'aria-describedby': describedBy(id, error, hintId),
    'aria-invalid': error ? true : undefined,
    onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
    required,
  };
  return (
    <div>
      <label for={id}>{label}</label>
      {hint && (
        // A div: a hint may hold lists (the refiner's capabilities beside the prompt).
        <div class="hint" id={hintId}>
          {hint}
        </div>
      )}
      {rows ? <textarea rows={rows} {...field} /> : url ? <input type="url" inputMode="url" {...field} /> : <input {...field} />}
      <FieldError id={id} error={error} />
    </div>
  );
}
