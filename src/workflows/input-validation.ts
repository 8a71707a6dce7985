/**
 * Checks a refinement request before anything runs. Pure and deterministic: the workflow runs it on
 * its input, and the client runs it before starting so a bad request is refused without a workflow.
 */
import type { RefinementInput } from './types';

/** Ids become path segments in the image store and parts of workflow ids: keep them plain. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const LIMITS = {
  urlLength: 2048,
  promptLength: 2000,
  descriptionLength: 2000,
  preserveAspects: 20,
  aspectLength: 100,
} as const;

/** Returns one message per problem; an empty list means the input is fine. */
export function findInputProblems(input: RefinementInput): string[] {
  const problems: string[] = [];
  const text = (field: string, value: unknown, max: number, required = true) => {
    if (typeof value !== 'string' || (required && value.trim() === '')) problems.push(`${field} is required`);
    else if (value.length > max) problems.push(`${field} is longer than ${max} characters`);
    else if (CONTROL_CHARACTERS.test(value)) problems.push(`${field} contains control characters`);
  };
  for (const field of ['taskId', 'userId'] as const) {
    if (typeof input[field] !== 'string' || !ID_PATTERN.test(input[field])) {
      problems.push(`${field} must be 1-128 letters, digits, '.', '_' or '-'`);
    }
  }
  text('originalImageUrl', input.originalImageUrl, LIMITS.urlLength);
  if (typeof input.originalImageUrl === 'string' && !/^https?:\/\//i.test(input.originalImageUrl)) {
    problems.push('originalImageUrl must be an http or https URL');
  }
  text('refinementPrompt', input.refinementPrompt, LIMITS.promptLength);
  text('logoDescription', input.logoDescription, LIMITS.descriptionLength);
  text('themeDescription', input.themeDescription, LIMITS.descriptionLength);
  if (input.uploadedImageKey !== undefined) text('uploadedImageKey', input.uploadedImageKey, 512);
  if (input.parentConceptId !== undefined && (typeof input.parentConceptId !== 'string' || !ID_PATTERN.test(input.parentConceptId))) {
    problems.push('parentConceptId must be a concept id');
  }
  if (input.parentConceptId !== undefined && input.uploadedImageKey !== undefined) {
    problems.push('parentConceptId and uploadedImageKey exclude each other');
  }
  const endpoints = input.webhookEndpointIds;
  if (endpoints !== undefined && (!Array.isArray(endpoints) || endpoints.length > 20 || endpoints.some((id) => typeof id !== 'string' || !ID_PATTERN.test(id)))) {
    problems.push('webhookEndpointIds must be a list of at most 20 endpoint ids');
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
