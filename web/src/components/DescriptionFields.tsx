/**
 * What both request forms (a new refinement, and refining a concept again) ask the same way: the logo
 * and theme descriptions and the aspects to keep, each with its error, plus the error helpers every
 * field of those forms uses. Each form names its own element ids, since both can be on one page.
 */
import type { Errors } from '../validation';
import { Chips } from './Chips';

/** The form's element id of each field, e.g. `{ logoDescription: 'logo', ... }`. */
export type FieldIds = Record<string, string>;

/** `aria-describedby` of a field (its hint and its error) and the error paragraph it points at. */
export function fieldErrorHelpers(errors: Errors, ids: FieldIds) {
  const describedBy = (key: keyof Errors, hint?: string) => [hint, errors[key] ? `${ids[key]}-error` : undefined].filter(Boolean).join(' ') || undefined;
  const fieldError = (key: keyof Errors) =>
    errors[key] && (
      <p class="field-error" id={`${ids[key]}-error`}>
        {errors[key]}
      </p>
    );
  return { describedBy, fieldError };
}

export interface DescriptionDraft {
  logoDescription: string;
  themeDescription: string;
  preserveAspects: string[];
}

interface Props {
  ids: FieldIds;
  draft: DescriptionDraft;
  errors: Errors;
  onText: (key: 'logoDescription' | 'themeDescription', value: string) => void;
  onAspects: (values: string[]) => void;
}

export function DescriptionFields({ ids, draft, errors, onText, onAspects }: Props) {
  const { describedBy, fieldError } = fieldErrorHelpers(errors, ids);
  return (
    <>
      <div class="pair">
        <div>
          <label for={ids.logoDescription}>Logo description</label>
          <input id={ids.logoDescription} value={draft.logoDescription} aria-describedby={describedBy('logoDescription')} aria-invalid={errors.logoDescription ? true : undefined} onInput={(e) => onText('logoDescription', e.currentTarget.value)} />
          {fieldError('logoDescription')}
        </div>
        <div>
          <label for={ids.themeDescription}>Theme description</label>
          <input id={ids.themeDescription} value={draft.themeDescription} aria-describedby={describedBy('themeDescription')} aria-invalid={errors.themeDescription ? true : undefined} onInput={(e) => onText('themeDescription', e.currentTarget.value)} />
          {fieldError('themeDescription')}
        </div>
      </div>
      <Chips id={ids.preserveAspects} label="Keep unchanged" values={draft.preserveAspects} onChange={onAspects} describedBy={errors.preserveAspects ? `${ids.preserveAspects}-error` : undefined} invalid={!!errors.preserveAspects} />
      {fieldError('preserveAspects')}
    </>
  );
}
