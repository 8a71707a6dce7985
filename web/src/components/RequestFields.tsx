/**
 * What both request forms (a new refinement, and refining a concept again) ask the same way: what to
 * change, the logo and theme descriptions and the aspects to keep, each with its error. Each form
 * names its own element ids, since both can be on one page, and words its prompt for its purpose.
 */
import type { ComponentChildren } from 'preact';
import type { Errors } from '../validation';
import { Chips } from './Chips';
import { describedBy, FieldError, TextField } from './TextField';

/** The form's element id of each field, e.g. `{ logoDescription: 'logo', ... }`. */
export type FieldIds = Record<string, string>;

export interface RequestDraft {
  refinementPrompt: string;
  logoDescription: string;
  themeDescription: string;
  preserveAspects: string[];
}

export type RequestText = 'refinementPrompt' | 'logoDescription' | 'themeDescription';

interface Props {
  ids: FieldIds;
  draft: RequestDraft;
  errors: Errors;
  prompt: { label: string; hint?: ComponentChildren; rows: number; required?: boolean };
  onText: (key: RequestText, value: string) => void;
  onAspects: (values: string[]) => void;
}

export function RequestFields({ ids, draft, errors, prompt, onText, onAspects }: Props) {
  const text = (key: RequestText) => ({ id: ids[key], value: draft[key], error: errors[key], onInput: (value: string) => onText(key, value) });
  return (
    <>
      <TextField {...text('refinementPrompt')} {...prompt} />
      <div class="pair">
        <TextField {...text('logoDescription')} label="Logo description" />
        <TextField {...text('themeDescription')} label="Theme description" />
      </div>
      <Chips id={ids.preserveAspects} label="Keep unchanged" values={draft.preserveAspects} onChange={onAspects} describedBy={describedBy(ids.preserveAspects, errors.preserveAspects)} invalid={!!errors.preserveAspects} />
      <FieldError id={ids.preserveAspects} error={errors.preserveAspects} />
    </>
  );
}
