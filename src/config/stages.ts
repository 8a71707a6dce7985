/**
 * Operators' overrides of the stage policies (timeouts and retries, src/workflows/stage-policies.ts).
 * The starter puts them in each workflow's input, so a run keeps the policy it started with.
 */
import { msToNumber } from '@temporalio/common';
import { z } from 'zod';
import { POLICY_NAMES, resolveStagePolicies, type StagePolicyOverrides } from '../workflows/stage-policies';
import { defineConcern } from './concern';
import { duration, refuse } from './env';

const stagePolicy = z
  .object({
    startToCloseTimeout: duration,
    heartbeatTimeout: duration,
    initialInterval: duration,
    backoffCoefficient: z.number().min(1),
    maximumInterval: duration,
    maximumAttempts: z.number().int().min(0),
  })
  .partial()
  .strict();

export const stages = defineConcern({
  title: 'Stages',
  variables: {
    REFINERY_STAGE_POLICIES: z
      .string()
      .default('{}')
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.partialRecord(z.enum(POLICY_NAMES), stagePolicy))
      .describe('JSON overrides of [the stage policies](architecture.md#retries-and-timeouts-of-each-stage), e.g. `{"refine":{"maximumAttempts":3}}`.'),
  },
  options: (e): { stagePolicies: StagePolicyOverrides } => {
    // The duration regex accepts exactly the `ms` strings that Temporal's Duration type spells out.
    const stagePolicies = e.REFINERY_STAGE_POLICIES as StagePolicyOverrides;
    // The server refuses to schedule an activity whose backoff could never grow: catch it here, not mid-run.
    for (const [stage, policy] of Object.entries(resolveStagePolicies(stagePolicies))) {
      if (msToNumber(policy.maximumInterval) < msToNumber(policy.initialInterval)) {
        refuse(`REFINERY_STAGE_POLICIES.${stage}: maximumInterval is below initialInterval`);
      }
    }
    return { stagePolicies };
  },
});
