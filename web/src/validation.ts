/** The API's limits checked before sending (numbers fetched from /v1/limits), and the API's own field errors mapped back to the form. */
import type { FieldError, Limits } from './api';

export interface Draft {
  source: 'file' | 'url';
  file: File | null;
  url: string;
  refinementPrompt: string;
  logoDescription: string;
  themeDescription: string;
  preserveAspects: string[];
}

export type Errors = Partial<Record<'image' | 'originalImageUrl' | 'refinementPrompt' | 'logoDescription' | 'themeDescription' | 'preserveAspects' | 'form', string>>;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

export function check(draft: Draft, limits: Limits): Errors {
  const errors: Errors = {};
  if (draft.source === 'file') {
    if (!draft.file) errors.image = 'Choose or drop an image file.';
    else if (!limits.imageTypes.includes(draft.file.type)) errors.image = `The file must be a ${limits.imageTypes.map((t) => t.replace('image/', '').toUpperCase()).join(', ')} image.`;
    else if (draft.file.size > limits.uploadMaxBytes) errors.image = `The file is ${mib(draft.file.size)}; at most ${mib(limits.uploadMaxBytes)} is accepted.`;
  } else {
    const url = draft.url.trim();
    if (!url) errors.originalImageUrl = 'Paste the address of an image.';
    else if (url.length > limits.urlLength) errors.originalImageUrl = `The address must be at most ${limits.urlLength} characters.`;
    else if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) errors.originalImageUrl = 'The address must start with http:// or https://.';
  }
  return { ...errors, ...checkRequest(draft, limits) };
}

/** What to change, the descriptions and the aspects: shared by a new refinement and "Refine again". */
export function checkRequest(draft: Pick<Draft, 'refinementPrompt' | 'logoDescription' | 'themeDescription' | 'preserveAspects'>, limits: Limits): Errors {
  const errors: Errors = {};
  const text = (key: keyof Errors, value: string, max: number, name: string) => {
    if (value.trim() === '') errors[key] = `${name} is required.`;
    else if (value.length > max) errors[key] = `${name} must be at most ${max} characters (it has ${value.length}).`;
  };
  text('refinementPrompt', draft.refinementPrompt, limits.promptLength, 'What to change');
  text('logoDescription', draft.logoDescription, limits.descriptionLength, 'The logo description');
  text('themeDescription', draft.themeDescription, limits.descriptionLength, 'The theme description');
  if (draft.preserveAspects.length > limits.preserveAspects) errors.preserveAspects = `At most ${limits.preserveAspects} aspects.`;
  const long = draft.preserveAspects.find((a) => a.length > limits.aspectLength);
  if (long) errors.preserveAspects = `“${long.slice(0, 20)}…” is longer than ${limits.aspectLength} characters.`;
  return errors;
}

/** `body.preserveAspects.2` → preserveAspects; anything the form has no field for goes to the form. */
export function fromProblem(status: number, title: string, detail: string | undefined, fields: FieldError[]): Errors {
  const errors: Errors = {};
  for (const { field, detail: message } of fields) {
    const name = field.replace(/^body\./, '').split('.')[0] as keyof Errors;
    const key: keyof Errors = ['image', 'originalImageUrl', 'refinementPrompt', 'logoDescription', 'themeDescription', 'preserveAspects'].includes(name) ? name : 'form';
    errors[key] = errors[key] ? `${errors[key]} ${message}` : capitalise(message);
  }
  // Too large and not an image are about the uploaded file, though the API reports them for the whole request.
  if (status === 413 || status === 415) errors.image = `${title}: ${detail ?? ''}`.trim();
  if (Object.keys(errors).length === 0) errors.form = detail ? `${title}: ${detail}` : title;
  return errors;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.');
