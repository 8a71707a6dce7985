/**
 * The built-in ConceptService: no remote model, just the prompt's recognised instructions applied
 * to the original with sharp and a few passes over the decoded pixels (docs/local-refiner.md). It
 * does what the prompt says or says plainly what it did not do: every instruction is reported as
 * applied or not applied, and a prompt of which nothing could be applied fails with
 * InstructionsNotUnderstoodError listing what it can do.
 *
 * Cancelling: libvips cannot stop inside a pipeline, and a large image's pipelines take seconds.
 * So an image above `inProcessMaxPixels` is worked on in a child process that is killed on abort;
 * a smaller one is worked on here, checking the signal between steps that each take a fraction of
 * a second. Both run the same code (refinement-job.ts) and write the same bytes.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { NotAnImageError, PixelLimitExceededError } from '../../errors';
import type { ConceptService, RefinerCapabilities, RefineRequest, RefineResult } from './concept-service';
import type { ChildMessage } from './local-refiner-process';
import { parseRefinementInstructions } from './refinement-instructions';
import { runRefinementJob, type JobResult, type RefinementJob } from './refinement-job';
import { buildOutcome, nothingApplied } from './refinement-outcome';
import { INSTRUCTION_KINDS, KEPT_ASPECTS } from './refinement-vocabulary';

export { colouriseMatrix } from './refinement-job';

export interface LocalRefinerOptions {
  /** Decoded width x height cap (decompression bombs); defaults to the download stage's default. */
  maxPixels?: number;
  /** Images with more pixels than this are refined in a child process that a cancel kills. */
  inProcessMaxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;
/** About 2000 × 2000: each step on such an image takes well under the second a cancel may wait. */
export const DEFAULT_IN_PROCESS_MAX_PIXELS = 4_000_000;

/** The child's entry beside this file; from TypeScript sources (tests, tsx) it needs tsx to load. */
const CHILD_ENTRY = path.join(__dirname, `local-refiner-process${path.extname(__filename)}`);
const CHILD_EXEC_ARGV = path.extname(__filename) === '.ts' ? ['--import', 'tsx'] : [];

/** Errors a child reports that must keep their type: the refine stage treats them as permanent. */
const TYPED_ERRORS: Record<string, new (message: string) => Error> = { NotAnImageError, PixelLimitExceededError };

export class LocalRefiner implements ConceptService {
  readonly name = 'local';
  private readonly maxPixels: number;
  private readonly inProcessMaxPixels: number;

  constructor(options: LocalRefinerOptions = {}) {
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (!Number.isInteger(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
    this.maxPixels = maxPixels;
    this.inProcessMaxPixels = options.inProcessMaxPixels ?? DEFAULT_IN_PROCESS_MAX_PIXELS;
  }

  capabilities(): RefinerCapabilities {
    return {
      refiner: this.name,
      understands: 'instructions',
      instructions: INSTRUCTION_KINDS.map(({ kind, description, examples }) => ({ kind, description, examples: [...examples] })),
      preservableAspects: KEPT_ASPECTS.map((a) => a.aspect),
    };
  }

  /**
   * Reads every example of the instruction table once. V8 compiles a regular expression on its first
   * use, and the prompt reader's expressions hold the whole colour vocabulary: compiled on a first
   * request they block the event loop for seconds (about 2 s on a loaded 2-core machine), longer than
   * a short heartbeat timeout. Compiled here, at worker start, a first request costs what any other does.
   */
  async prepare(): Promise<void> {
    for (const { examples } of INSTRUCTION_KINDS) for (const example of examples) parseRefinementInstructions(example, []);
    for (const { aspect } of KEPT_ASPECTS) parseRefinementInstructions(INSTRUCTION_KINDS[0]!.examples[0]!, [aspect]);
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    const { signal, heartbeat, workDir } = request;
    signal.throwIfAborted();
    const parsed = parseRefinementInstructions(request.refinementPrompt, request.preserveAspects);
    if (parsed.operations.length === 0) throw nothingApplied(buildOutcome(parsed, { results: [] }).outcome.notApplied, this.capabilities());

    const protects = new Set(parsed.kept.flatMap((k) => k.aspects.map((a) => a.protects)));
    const job: RefinementJob = {
      input: request.image.path,
      workDir,
      operations: parsed.operations,
      keep: { background: protects.has('background'), text: protects.has('text') },
      maxPixels: this.maxPixels,
    };
    const work = (await this.pixelsOf(job.input)) > this.inProcessMaxPixels ? this.runInChild(job, request) : this.runHere(job, request);
    const done = await work;
    // A cancelled attempt must not hand back a result the workflow has stopped waiting for.
    signal.throwIfAborted();
    heartbeat();
    const { outcome, notes, appliedEdits } = buildOutcome(parsed, done);
    if (appliedEdits === 0) {
      await fs.rm(done.path, { force: true });
      throw nothingApplied(outcome.notApplied, this.capabilities());
    }
    return { kind: 'file', path: done.path, contentType: 'image/png', notes, outcome };
  }

  /** From the header only; an unreadable header is left for the decode to report. */
  private async pixelsOf(file: string): Promise<number> {
    try {
      const { width = 0, height = 0 } = await sharp(file, { limitInputPixels: false }).metadata();
      return width * height;
    } catch {
      return 0;
    }
  }

  private runHere(job: RefinementJob, { signal, heartbeat }: RefineRequest): Promise<JobResult> {
    return runRefinementJob(job, () => {
      heartbeat();
      signal.throwIfAborted();
    });
  }

  private runInChild(job: RefinementJob, { signal, heartbeat }: RefineRequest): Promise<JobResult> {
    return new Promise<JobResult>((resolve, reject) => {
      const child = fork(CHILD_ENTRY, [], { execArgv: CHILD_EXEC_ARGV, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        finish();
      };
      const onAbort = () => {
        const stopped = () => settle(() => reject(signal.reason));
        if (child.exitCode !== null || child.signalCode !== null) return stopped();
        child.once('exit', stopped);
        child.kill('SIGKILL');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'step') heartbeat();
        else if (message.type === 'done') settle(() => resolve(message.result));
        else settle(() => reject(rebuildError(message.error)));
      });
      child.on('error', (err) => settle(() => reject(err)));
      child.on('close', (code, killedBy) => {
        if (signal.aborted) return onAbort();
        settle(() => reject(new Error(`the local refiner's worker process ended (${killedBy ?? `exit code ${code}`}) without a result`)));
      });
      child.send(job);
    });
  }
}

function rebuildError({ name, message, stack }: { name: string; message: string; stack?: string }): Error {
  const Type = TYPED_ERRORS[name];
  const error = Type ? new Type(message) : new Error(message);
  if (stack) error.stack = stack;
  return error;
}
