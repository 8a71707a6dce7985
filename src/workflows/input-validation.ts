/**
 * Checks a refinement request before anything runs. Pure and deterministic: the workflow runs it on
 * its input, the client runs it before starting, and the gateway's zod schema is built on the same
 * rules (textProblem, LIMITS, ID_PATTERN), so a request the gateway accepts is one the workflow
 * accepts. No libraries here: workflow code imports this module.
 */
import type { RefinementInput } from './types';

/** Ids become path segments in the image store and parts of workflow ids: keep them plain. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const ID_MAX_LENGTH = 128;
export const ID_RULE = "must be 1-128 letters, digits, '.', '_' or '-'";

/**
 * C0 controls except tab, LF and CR; DEL; and the C1 controls U+0080-U+009F (U+009B is a terminal's
 * escape introducer, as dangerous in a log viewer as ESC itself).
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** With the u flag a paired surrogate is one astral code point, so this matches only lone halves. */
const LONE_SURROGATE = /\p{Cs}/u;
/** The rule of runs started before the shared text rule (kept so that their replay is unchanged). */
const LEGACY_CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * How an uploaded original is named in the workflow input and the concept row: a reference, not a
 * credential. The gateway signs a link to it only when it answers the owner.
 */
export const UPLOAD_REFERENCE_SCHEME = 'upload:';
export function uploadReference(taskId: string): string {
  return `${UPLOAD_REFERENCE_SCHEME}${taskId}`;
}

export const LIMITS = {
  urlLength: 2048,
  promptLength: 2000,
  descriptionLength: 2000,
  preserveAspects: 20,
  aspectLength: 100,
  uploadReferenceLength: 512,
  cancelReasonLength: 500,
  /** Endpoints one refinement tells when it ends: the user's registered ones and the request's callback. */
  webhookEndpoints: 20,
} as const;

/**
 * The one definition of a text field's length: Unicode code points, what a person counts as
 * characters (an emoji is one, not two UTF-16 units). zod's string max counts the same way.
 */
export function textLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** Why a required text value is refused, or undefined when it is fine. The gateway and the workflow share it. */
export function textProblem(value: string, max: number): string | undefined {
  if (value.trim() === '') return 'must not be empty or blank';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not valid Unicode text)';
  if (CONTROL_CHARACTERS.test(value)) return 'contains control characters';
  if (textLength(value) > max) return `must be at most ${max} characters`;
  return undefined;
}

export interface InputRules {
  /** false: the rules runs started with before the shared text rule (UTF-16 lengths, no C1 or surrogate check). */
  current: boolean;
}

/** Returns one message per problem; an empty list means the input is fine. */
export function findInputProblems(input: RefinementInput, rules: InputRules = { current: true }): string[] {
  const problems: string[] = [];
  const text = (field: string, value: unknown, max: number) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field} is required`);
    else if (!rules.current) {
      if (value.length > max) problems.push(`${field} is longer than ${max} characters`);
      else if (LEGACY_CONTROL_CHARACTERS.test(value)) problems.push(`${field} contains control characters`);
    } else {
      const problem = textProblem(value, max);
      if (problem) problems.push(`${field} ${problem}`);
    }
  };
  for (const field of ['taskId', 'userId'] as const) {
    if (typeof input[field] !== 'string' || !ID_PATTERN.test(input[field])) problems.push(`${field} ${ID_RULE}`);
  }
  text('originalImageUrl', input.originalImageUrl, LIMITS.urlLength);
  const uploaded = rules.current && input.uploadedImageKey !== undefined && input.originalImageUrl === uploadReference(input.taskId);
  if (typeof input.originalImageUrl === 'string' && !uploaded && !/^https?:\/\//i.test(input.originalImageUrl)) {
    problems.push(`originalImageUrl must be an http or https URL${rules.current ? ', or this task\'s upload reference' : ''}`);
  }
  text('refinementPrompt', input.refinementPrompt, LIMITS.promptLength);
  text('logoDescription', input.logoDescription, LIMITS.descriptionLength);
  text('themeDescription', input.themeDescription, LIMITS.descriptionLength);
  if (input.uploadedImageKey !== undefined) text('uploadedImageKey', input.uploadedImageKey, LIMITS.uploadReferenceLength);
  if (input.parentConceptId !== undefined && (typeof input.parentConceptId !== 'string' || !ID_PATTERN.test(input.parentConceptId))) {
    problems.push('parentConceptId must be a concept id');
  }
  if (input.parentConceptId !== undefined && input.uploadedImageKey !== undefined) {
    problems.push('parentConceptId and uploadedImageKey exclude each other');
  }
  const endpoints = input.webhookEndpointIds;
  if (
    endpoints !== undefined &&
    (!Array.isArray(endpoints) || endpoints.length > LIMITS.webhookEndpoints || endpoints.some((id) => typeof id !== 'string' || !ID_PATTERN.test(id)))
  ) {
    problems.push(`webhookEndpointIds must be a list of at most ${LIMITS.webhookEndpoints} endpoint ids`);
  }
  if (input.isAnonymous !== undefined && typeof input.isAnonymous !== 'boolean') problems.push('isAnonymous must be a boolean');
  const aspects = input.preserveAspects;
  if (aspects !== undefined) {
    if (!Array.isArray(aspects) || aspects.length > LIMITS.preserveAspects) {
      problems.push(`preserveAspects must be a list of at most ${LIMITS.preserveAspects} items`);
    } else {
      aspects.forEach((aspect, i) => text(`preserveAspects[${i}]`, aspect, LIMITS.aspectLength));
    }
  }
  return problems;
}
