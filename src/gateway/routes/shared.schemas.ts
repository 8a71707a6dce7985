/**
 * Pieces every route's schemas use. The API's shapes are zod schemas: fastify validates requests
 * with them and @fastify/swagger turns the same schemas into the OpenAPI document, so the two cannot
 * drift apart. Request objects are strict: an unknown field is an error, not something silently ignored.
 */
import { z } from 'zod';
import { LIMITS, textProblem } from '../../workflows/input-validation';

/**
 * Required text, by the workflow's own rule (textProblem): not blank, bounded in code points, no
 * C0/C1 control characters (tab and newlines are fine), no lone surrogates. `maxLength` is only the
 * documented bound for the OpenAPI document; the refinement is what decides.
 */
export const text = (max: number) =>
  z
    .string()
    .meta({ maxLength: max })
    .superRefine((value, ctx) => {
      const problem = textProblem(value, max);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

export const imageUrl = text(LIMITS.urlLength)
  .refine((v) => !/[\u0000-\u001f\u007f\s]/.test(v), 'must not contain whitespace or control characters')
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http or https URL')
  .refine((v) => !URL.canParse(v) || (new URL(v).username === '' && new URL(v).password === ''), 'must not contain credentials');

/** Checked again (DNS, address policy) when registered and at every delivery. */
export const webhookUrl = imageUrl.meta({
  description: 'http(s) URL that receives the refinement event (Standard Webhooks). Private, loopback and link-local addresses are refused.',
});

export const problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z
    .array(z.object({ field: z.string(), pointer: z.string(), in: z.string(), detail: z.string() }))
    .optional(),
});

/** What the refiner did with the prompt (the same shape in refinements, concepts and webhook events). */
export const refinementOutcome = z
  .object({
    status: z.enum(['applied', 'partly-applied', 'delegated']).meta({
      description:
        '`applied`: every instruction was carried out; `partly-applied`: some were not (see notApplied); ' +
        '`delegated`: a model took the whole prompt and does not say what it did.',
    }),
    /** Instructions carried out, e.g. "background colour → dark blue". */
    applied: z.array(z.string()),
    /** Instructions or kept aspects not carried out, each with its reason. */
    notApplied: z.array(z.string()),
  });

/** Error answers every authenticated route can give. */
export const commonProblems = { 400: problem, 401: problem, 404: problem, 429: problem };
