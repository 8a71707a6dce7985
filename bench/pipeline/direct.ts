/**
 * B0: the same five activity functions the worker registers, called one after another in this process
 * (each in a mock activity context, since they read their attempt and heartbeat through it), on the same
 * adapters the worker builds from the same configuration. What a refinement costs without durability.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createDiscardArtifacts } from '../../src/activities/discard-artifacts';
import { createDownloadOriginalImage } from '../../src/activities/download-original-image';
import { createRefineConceptImage } from '../../src/activities/refine-concept-image';
import { createStoreRefinedConcept } from '../../src/activities/store-refined-concept';
import { createStoreRefinedImage } from '../../src/activities/store-refined-image';
import { openAdapters, type Adapters } from '../../src/adapters';
import type { Config } from '../../src/config';
import type { RefinementInput } from '../../src/workflows/types';

/** Runs one stage; a caller may wrap each stage to measure it (bench/stage-memory.ts). */
export type StageRunner = <R>(stage: StageName, run: () => Promise<R>) => Promise<R>;
export type StageName = 'download' | 'refine' | 'storeImage' | 'storeConcept' | 'discard';
const runPlainly: StageRunner = (_stage, run) => run();

export class DirectPipeline {
  private constructor(
    private readonly adapters: Adapters,
    private readonly stages: ReturnType<typeof buildStages>,
  ) {}

  static async open(config: Config, logFile: string): Promise<DirectPipeline> {
    // Same level as the worker, to a file as the worker's goes to a pipe: logging is part of the cost.
    const logger = pino({ level: config.logLevel }, pino.destination({ dest: logFile, sync: false }));
    const adapters = await openAdapters(config, logger);
    return new DirectPipeline(adapters, buildStages(config, adapters, logger));
  }

  /** One refinement, stage by stage, as the workflow sequences them; `around` wraps each stage. */
  async run(input: RefinementInput, around: StageRunner = runPlainly): Promise<void> {
    const { taskId, userId, originalImageUrl, refinementPrompt, logoDescription, themeDescription } = input;
    const s = this.stages;
    const call = <A extends unknown[], R>(stage: StageName, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
      around(stage, () => new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 }).run(fn, ...args));
    const original = await call('download', s.download, { taskId, originalImageUrl });
    const refinement = await call('refine', s.refine, { taskId, original, originalImageUrl, refinementPrompt, logoDescription, themeDescription, preserveAspects: [] });
    const image = await call('storeImage', s.storeImage, {
      taskId, userId, refined: refinement.refined, logoDescription, themeDescription, refinementPrompt, originalImageUrl,
      provider: refinement.provider, notes: refinement.notes,
    });
    await call('storeConcept', s.storeConcept, {
      taskId, userId, logoDescription, themeDescription, refinementPrompt, imagePath: image.imagePath, imageUrl: image.imageUrl,
      originalImageUrl, isAnonymous: true,
    });
    await call('discard', s.discard, { taskId, userId, includePublished: false });
  }

  close(): Promise<void> {
    return this.adapters.close();
  }
}

function buildStages(config: Config, adapters: Adapters, logger: pino.Logger) {
  const deps = { ...adapters, logger, download: config.download, reportAttempt: async () => undefined };
  return {
    download: createDownloadOriginalImage(deps),
    refine: createRefineConceptImage(deps),
    storeImage: createStoreRefinedImage(deps),
    storeConcept: createStoreRefinedConcept(deps),
    discard: createDiscardArtifacts(deps),
  };
}
