/**
 * The workflow's changes that running refinements must survive, each branched with patched(): a run
 * replays with the branches it took. Every patch a run records costs it a marker event and, the SDK's
 * doing, an upsert of the TemporalChangeVersion search attribute (a command, an event, a visibility
 * write). So a run records only the newest change, which implies the earlier ones (the code that
 * knew it knew them all); runs started before it ask for the earlier ones where they always did.
 * A new change becomes LATEST, and LATEST so far joins the earlier ones.
 */
import { patched } from '@temporalio/workflow';

/** The newest change: the cheap stages run as local activities, with fewer search-attribute upserts. */
const LATEST = 'local-stages';

export type EarlierChange = 'shared-text-rule' | 'bounded-cleanup' | 'cancel-wins-over-stage-failure' | 'webhooks';

export class WorkflowChanges {
  /** Whether this run started with the newest change; call first, before any other command. */
  readonly latest = patched(LATEST);

  has(change: EarlierChange): boolean {
    return this.latest || patched(change);
  }
}
