/**
 * What the local refiner tells the person: each recognised instruction as applied or not applied
 * (with why), each phrase it did not understand, each kept aspect it could not honour; the notes
 * say the same in sentences. And, when nothing at all could be applied, the error that lists what
 * it can do.
 */
import { InstructionsNotUnderstoodError } from '../../errors';
import type { RefinementOutcome, RefinerCapabilities } from './concept-service';
import type { ParsedInstructions } from './refinement-instructions';
import { describeOperation, GEOMETRY_KINDS, listWords } from './refinement-operations';
import type { EditResult } from './structural-edits';
import type { Box } from './text-regions';

/** What the pixel work found out, beside each operation's result. */
export interface WorkReport {
  /** One per parsed operation, in order. */
  results: EditResult[];
  /** When text was to be kept: where it was found (null: not found). */
  textRegion?: Box | null;
}

/** Edits that take the whole subject when the prompt names a part of it ("make the fox bigger"). */
const WHOLE_SUBJECT = new Set(['scale', 'rotate', 'mirror', 'padding', 'palette']);

export function buildOutcome(parsed: ParsedInstructions, report: WorkReport): { outcome: RefinementOutcome; notes: string[]; appliedEdits: number } {
  const applied: string[] = [];
  const notApplied: string[] = [];
  const parts = parsed.parts.map((p) => `'${p}'`);
  parsed.operations.forEach((op, i) => {
    const result = report.results[i] ?? {};
    const description = describeOperation(op);
    if (result.notApplied) {
      notApplied.push(`${description}: ${result.notApplied}`);
      return;
    }
    const partNote = parts.length > 0 && WHOLE_SUBJECT.has(op.kind) ? ` (to the whole logo: the local refiner does not pick out ${listWords(parts)})` : '';
    applied.push(`${result.detail ?? description}${partNote}`);
  });
  const appliedEdits = applied.length;
  for (const { operation, aspect } of parsed.withheld) notApplied.push(`${describeOperation(operation)}: refused, kept aspect '${aspect}'`);
  for (const fragment of parsed.unrecognised) notApplied.push(`'${fragment}': not understood`);

  const moved = parsed.operations.filter((op, i) => GEOMETRY_KINDS.has(op.kind) && !report.results[i]?.notApplied);
  for (const { given, aspects } of parsed.kept) {
    if (aspects.length === 0) {
      notApplied.push(`kept aspect '${given}': not understood, nothing in particular was kept for it`);
      continue;
    }
    if (aspects.some((a) => a.protects === 'text')) {
      if (report.textRegion === null || report.textRegion === undefined) {
        notApplied.push(`kept aspect '${given}' could not be guaranteed: no lettering found apart from the subject`);
        continue;
      }
      if (moved.length > 0) {
        notApplied.push(`kept aspect '${given}' could not be guaranteed: the lettering was moved with the rest (${moved.map(describeOperation).join(', ')})`);
        continue;
      }
    }
    applied.push(`kept ${given} unchanged`);
  }

  const status = notApplied.length === 0 ? 'applied' : 'partly-applied';
  const notes = [...applied.map((a) => `applied: ${a}`), ...notApplied.map((n) => `not applied: ${n}`)];
  return { outcome: { status, applied, notApplied }, notes, appliedEdits };
}

/** The error for a prompt of which nothing could be applied: what went wrong with each part, and what would work. */
export function nothingApplied(notApplied: string[], capabilities: RefinerCapabilities): InstructionsNotUnderstoodError {
  const can = capabilities.instructions.map((k) => `${k.kind} (e.g. "${k.examples[0]}")`).join('; ');
  const why = notApplied.length > 0 ? notApplied.join('; ') : 'it names no edit the local refiner knows';
  return new InstructionsNotUnderstoodError(
    `the local refiner could apply nothing in the prompt: ${why}. It can do: ${can}. Aspects it can keep: ${capabilities.preservableAspects.join(', ')}.`,
  );
}
