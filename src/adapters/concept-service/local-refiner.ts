/**
 * The built-in ConceptService: no remote model, just the prompt's recognised instructions applied
 * to the original with sharp. Good enough to make "warmer, more contrast, autumn colours" visibly
 * true, honest about everything else through the result's notes.
 *
 * Memory: every tone or colour step reads one file and writes the next in the request's workDir,
 * and libvips streams each of those pipelines a strip of rows at a time, so for them a 20 MB image
 * is never held whole. Structural edits (background, frame, scale, rotate, colour swap) need the
 * whole picture, so they all run on one decoded RGBA buffer, read once after the streamed steps
 * (plus one more buffer of the same size while scaling or rotating).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Matrix3x3, type OutputInfo, type Sharp } from 'sharp';
import { describeError, NotAnImageError, PixelLimitExceededError } from '../../errors';
import type { ConceptService, RefinerCapabilities, RefineRequest, RefineResult } from './concept-service';
import { parseRefinementInstructions, type ParsedInstructions } from './refinement-instructions';
import { describeOperation, STRUCTURAL_KINDS, type RefinementOperation, type Rgb } from './refinement-operations';
import { applyStructuralEdits, type StructuralOperation } from './structural-edits';

export interface LocalRefinerOptions {
  /** Decoded width x height cap (decompression bombs); defaults to the download stage's default. */
  maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * Between steps: 8-bit sRGB (RGB or RGBA) pixels in an uncompressed PNG, so every step is its own
 * sharp pipeline and runs in our order (one pipeline applies its operations in sharp's fixed order).
 * Level 0 without filtering costs little more than raw pixels to write and read, and is lossless.
 */
interface StepImage {
  file: string;
  width: number;
  height: number;
  channels: 3 | 4;
}
const STEP_PNG = { compressionLevel: 0, adaptiveFiltering: false } as const;

/** sharp's messages when writing a file failed (a full disk), as against reading a broken image. */
const OUTPUT_FAILURE = /: write error|unable to open for write|wbuffer_write/;

/** Rec. 709 luma weights: the luminance that the colour-replacing matrices keep. */
const LUMA: Rgb = [0.2126, 0.7152, 0.0722];
/** A light sepia so highlights stay cream rather than turning orange. */
const SEPIA_TONE: Rgb = [162, 138, 101];
const NEUTRAL: Rgb = [1, 1, 1];

export class LocalRefiner implements ConceptService {
  readonly name = 'local';
  private readonly maxPixels: number;

  constructor(options: LocalRefinerOptions = {}) {
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (!Number.isInteger(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
    this.maxPixels = maxPixels;
  }

  capabilities(): RefinerCapabilities {
    return { refiner: this.name, understands: 'instructions', instructions: [], preservableAspects: [] };
  }

  async refine(request: RefineRequest): Promise<RefineResult> {
    const { signal, heartbeat, workDir } = request;
    signal.throwIfAborted();
    const instructions = parseRefinementInstructions(request.refinementPrompt, request.preserveAspects);
    const stepFile = (n: number) => path.join(workDir, `local-refiner-step-${n}.png`);

    let image = await this.decode(request.image.path, stepFile(0));
    const streamed = instructions.operations.filter((op) => !STRUCTURAL_KINDS.has(op.kind));
    const structural = instructions.operations.filter((op): op is StructuralOperation => STRUCTURAL_KINDS.has(op.kind));
    for (const [i, operation] of streamed.entries()) {
      heartbeat();
      signal.throwIfAborted();
      const next = await this.apply(image, operation, stepFile(i + 1));
      await fs.rm(image.file);
      image = next;
    }
    let notApplied = new Map<RefinementOperation, string>();
    if (structural.length > 0) {
      heartbeat();
      signal.throwIfAborted();
      const edited = await this.applyStructural(image, structural, stepFile(streamed.length + 1));
      await fs.rm(image.file);
      image = edited.image;
      notApplied = edited.notApplied;
    }
    heartbeat();
    signal.throwIfAborted();
    const result = path.join(workDir, 'local-refiner-result.png');
    await this.pipeline(image).png().toFile(result);
    await fs.rm(image.file);
    // A cancelled attempt must not hand back a result the workflow has stopped waiting for.
    signal.throwIfAborted();
    const notes = notesFor(instructions, notApplied);
    return { kind: 'file', path: result, contentType: 'image/png', notes, outcome: { status: 'applied', applied: notes, notApplied: [] } };
  }

  /** Orientation baked in, colour converted to sRGB, always RGB or RGBA so every step sees one layout. */
  private async decode(input: string, output: string): Promise<StepImage> {
    let info: OutputInfo;
    try {
      info = await sharp(input, { limitInputPixels: this.maxPixels })
        .autoOrient()
        .toColourspace('srgb')
        .png(STEP_PNG)
        .toFile(output);
    } catch (err) {
      const reason = describeError(err);
      if (OUTPUT_FAILURE.test(reason)) throw err;
      if (/pixel limit/i.test(reason)) {
        throw new PixelLimitExceededError(`image has more than ${this.maxPixels} pixels`, { cause: err });
      }
      throw new NotAnImageError(`cannot decode the original image: ${reason}`, { cause: err });
    }
    const { width, height, channels } = info;
    if (channels !== 3 && channels !== 4) throw new NotAnImageError(`unsupported channel count ${channels}`);
    return { file: output, width, height, channels };
  }

  private pipeline(image: StepImage): Sharp {
    return sharp(image.file, { limitInputPixels: this.maxPixels });
  }

  private async applyStructural(
    image: StepImage,
    operations: StructuralOperation[],
    output: string,
  ): Promise<{ image: StepImage; notApplied: Map<RefinementOperation, string> }> {
    const { data, info } = await this.pipeline(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const edited = applyStructuralEdits({ data, width: info.width, height: info.height }, operations);
    // An opaque original stays RGB unless an edit made part of it transparent.
    const channels = image.channels === 4 || operations.some((op) => op.kind === 'transparent') ? 4 : 3;
    let out = sharp(edited.image.data, { raw: { width: info.width, height: info.height, channels: 4 } });
    if (channels === 3) out = out.removeAlpha();
    await out.png(STEP_PNG).toFile(output);
    return { image: { file: output, width: info.width, height: info.height, channels }, notApplied: edited.notApplied };
  }

  private async apply(image: StepImage, operation: RefinementOperation, output: string): Promise<StepImage> {
    const info = await withOperation(this.pipeline(image), operation).png(STEP_PNG).toFile(output);
    // Every step keeps the layout; anything else is a bug here, not bad input.
    if (info.width !== image.width || info.height !== image.height || info.channels !== image.channels) {
      throw new Error(`${operation.kind} changed the image layout`);
    }
    return { ...image, file: output };
  }
}

function withOperation(pipeline: Sharp, op: RefinementOperation): Sharp {
  switch (op.kind) {
    case 'swap':
    case 'background':
    case 'scale':
    case 'rotate':
    case 'transparent':
    case 'border':
      throw new Error(`${op.kind} is a structural edit, not a streamed step`);
    case 'mirror':
      return op.axis === 'horizontal' ? pipeline.flop() : pipeline.flip();
    case 'monochrome':
      return pipeline.recomb(colouriseMatrix(NEUTRAL, 1));
    case 'sepia':
      return pipeline.recomb(colouriseMatrix(SEPIA_TONE, op.strength));
    case 'palette':
      return pipeline.recomb(colouriseMatrix(op.target, op.strength));
    case 'temperature':
      // Red up, blue down (or the reverse): the usual white-balance nudge.
      return pipeline.recomb([
        [1 + op.shift, 0, 0],
        [0, 1, 0],
        [0, 0, 1 - op.shift],
      ]);
    case 'saturation':
      return pipeline.modulate({ saturation: op.factor });
    case 'brightness':
      return pipeline.modulate({ brightness: op.factor });
    case 'contrast':
      // Stretch around mid-grey so midtones stay put and the ends move apart.
      return pipeline.linear(op.factor, 128 * (1 - op.factor));
    case 'invert':
      return pipeline.negate({ alpha: false });
    case 'blur':
      return pipeline.blur(op.sigma);
    case 'sharpen':
      return pipeline.sharpen({ sigma: op.sigma });
  }
}

/**
 * A 3x3 matrix that moves each pixel's chroma toward `target` while keeping its luminance:
 * M = (1 - s)·I + s·(d ⊗ LUMA), with d = target / luma(target). Because LUMA·d = 1 the luminance
 * of every output pixel equals its input's, so a palette shift recolours rather than washing the
 * image toward a flat colour. With a neutral target and s = 1 every row is LUMA: exact greyscale.
 */
export function colouriseMatrix(target: Rgb, strength: number): Matrix3x3 {
  const targetLuma = dot(LUMA, target);
  // Pure black has no chroma to aim at: treat it as neutral.
  const direction = targetLuma > 0 ? target.map((c) => c / targetLuma) : [...NEUTRAL];
  const row = (i: number): [number, number, number] => {
    const cell = (j: number) => (i === j ? 1 - strength : 0) + strength * direction[i] * LUMA[j];
    return [cell(0), cell(1), cell(2)];
  };
  return [row(0), row(1), row(2)];
}

function dot(a: Rgb, b: Rgb): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function notesFor({ operations, withheld, unrecognised }: ParsedInstructions, notApplied: Map<RefinementOperation, string>): string[] {
  const notes = operations.map((op) => {
    const reason = notApplied.get(op);
    return reason === undefined ? `applied: ${describeOperation(op)}` : `not applied, ${reason}: ${describeOperation(op)}`;
  });
  for (const { operation, aspect } of withheld) {
    notes.push(`not applied, preserving "${aspect}": ${describeOperation(operation)}`);
  }
  if (unrecognised.length > 0) notes.push(`not understood: ${unrecognised.map((f) => `"${f}"`).join(', ')}`);
  if (operations.length === 0) notes.push('no adjustment applied: the image is the original re-encoded as PNG');
  return notes;
}
