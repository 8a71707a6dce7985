/**
 * The local refiner's pixel work for one request: decode the original, apply the tone steps, then
 * the edits on the decoded pixels, and write the result, all through files in the attempt's folder.
 * It runs in the worker for small images and in a child process for large ones
 * (local-refiner-process.ts), so it takes plain data and reports progress through a callback.
 *
 * Memory: every tone step reads one file and writes the next, and libvips streams each of those
 * pipelines a strip of rows at a time, so a tone-only refinement never holds a large image whole.
 * The edits on the decoded pixels (palette, background, frame, padding, scale, rotate, flip,
 * colour swap) need the whole picture: one RGBA buffer, plus one more while scaling or rotating,
 * plus the original's when a kept region must be restored after tone steps.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Matrix3x3, type OutputInfo, type Sharp } from 'sharp';
import { describeError, NotAnImageError, PixelLimitExceededError } from '../../errors';
import { COLOUR_KINDS, STRUCTURAL_KINDS, type RefinementOperation, type Rgb } from './refinement-operations';
import { applyStructuralEdits, type EditResult, type StructuralOperation } from './structural-edits';
import type { Box } from './text-regions';

export interface RefinementJob {
  /** The original image file. */
  input: string;
  /** Where steps and the result are written. */
  workDir: string;
  /** In APPLY_ORDER. */
  operations: RefinementOperation[];
  keep: { background: boolean; text: boolean };
  maxPixels: number;
}

export interface JobResult {
  path: string;
  width: number;
  height: number;
  /** One per operation of the job, in its order. */
  results: EditResult[];
  /** When text was to be kept: where it was found (null: not found). */
  textRegion?: Box | null;
}

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

export const RESULT_FILE = 'local-refiner-result.png';

/** `step` is called between steps: it heartbeats, and in the worker it throws when the attempt is cancelled. */
export async function runRefinementJob(job: RefinementJob, step: () => void): Promise<JobResult> {
  const stepFile = (n: number) => path.join(job.workDir, `local-refiner-step-${n}.png`);
  const original = await decode(job.input, stepFile(0), job.maxPixels);
  const streamed = job.operations.filter((op) => !STRUCTURAL_KINDS.has(op.kind));
  const structural = job.operations.filter((op): op is StructuralOperation => STRUCTURAL_KINDS.has(op.kind));
  // A kept region is restored from the original when a tone step has changed its colours.
  const needsOriginal = (job.keep.background || job.keep.text) && streamed.some((op) => COLOUR_KINDS.has(op.kind) || op.kind === 'blur' || op.kind === 'sharpen');
  let image = original;
  for (const [i, operation] of streamed.entries()) {
    step();
    const next = await applyStep(image, operation, stepFile(i + 1), job.maxPixels);
    if (image !== original || !needsOriginal) await fs.rm(image.file);
    image = next;
  }
  const results = new Map<RefinementOperation, EditResult>();
  let textRegion: Box | null | undefined;
  const wantsStructural = structural.length > 0 || job.keep.text || (job.keep.background && streamed.length > 0);
  if (wantsStructural) {
    step();
    const edited = await applyBufferEdits(image, structural, stepFile(streamed.length + 1), job, needsOriginal ? original : undefined);
    if (image !== original) await fs.rm(image.file);
    if (needsOriginal) await fs.rm(original.file);
    image = edited.image;
    structural.forEach((op, i) => results.set(op, edited.results[i]));
    if (job.keep.text) textRegion = edited.textRegion ?? null;
  }
  step();
  const result = path.join(job.workDir, RESULT_FILE);
  await pipeline(image, job.maxPixels).png().toFile(result);
  await fs.rm(image.file);
  return {
    path: result,
    width: image.width,
    height: image.height,
    results: job.operations.map((op) => results.get(op) ?? {}),
    ...(textRegion !== undefined ? { textRegion } : {}),
  };
}

/** Orientation baked in, colour converted to sRGB, always RGB or RGBA so every step sees one layout. */
async function decode(input: string, output: string, maxPixels: number): Promise<StepImage> {
  let info: OutputInfo;
  try {
    info = await sharp(input, { limitInputPixels: maxPixels }).autoOrient().toColourspace('srgb').png(STEP_PNG).toFile(output);
  } catch (err) {
    const reason = describeError(err);
    if (OUTPUT_FAILURE.test(reason)) throw err;
    if (/pixel limit/i.test(reason)) throw new PixelLimitExceededError(`image has more than ${maxPixels} pixels`, { cause: err });
    throw new NotAnImageError(`cannot decode the original image: ${reason}`, { cause: err });
  }
  const { width, height, channels } = info;
  if (channels !== 3 && channels !== 4) throw new NotAnImageError(`unsupported channel count ${channels}`);
  return { file: output, width, height, channels };
}

function pipeline(image: StepImage, maxPixels: number): Sharp {
  return sharp(image.file, { limitInputPixels: maxPixels });
}

async function readRgba(image: StepImage, maxPixels: number) {
  const { data, info } = await pipeline(image, maxPixels).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function applyBufferEdits(image: StepImage, operations: StructuralOperation[], output: string, job: RefinementJob, original: StepImage | undefined) {
  const pixels = await readRgba(image, job.maxPixels);
  const reference = original ? await readRgba(original, job.maxPixels) : undefined;
  const edited = applyStructuralEdits(pixels, operations, { ...job.keep, original: reference });
  // An opaque original stays RGB unless an edit made part of it transparent.
  const channels = image.channels === 4 || operations.some((op) => op.kind === 'transparent') ? 4 : 3;
  let out = sharp(edited.image.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 } });
  if (channels === 3) out = out.removeAlpha();
  await out.png(STEP_PNG).toFile(output);
  return { ...edited, image: { file: output, width: pixels.width, height: pixels.height, channels } satisfies StepImage };
}

async function applyStep(image: StepImage, operation: RefinementOperation, output: string, maxPixels: number): Promise<StepImage> {
  const info = await withOperation(pipeline(image, maxPixels), operation).png(STEP_PNG).toFile(output);
  // Every step keeps the layout; anything else is a bug here, not bad input.
  if (info.width !== image.width || info.height !== image.height || info.channels !== image.channels) {
    throw new Error(`${operation.kind} changed the image layout`);
  }
  return { ...image, file: output };
}

function withOperation(pipeline: Sharp, op: RefinementOperation): Sharp {
  switch (op.kind) {
    case 'monochrome':
      return pipeline.recomb(colouriseMatrix(NEUTRAL, 1));
    case 'sepia':
      return pipeline.recomb(colouriseMatrix(SEPIA_TONE, op.strength));
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
    default:
      throw new Error(`${op.kind} is an edit on the decoded pixels, not a streamed step`);
  }
}

/**
 * A 3x3 matrix that moves each pixel's chroma toward `target` while keeping its luminance:
 * M = (1 - s)·I + s·(d ⊗ LUMA), with d = target / luma(target). Because LUMA·d = 1 the luminance
 * of every output pixel equals its input's, so a tint recolours rather than washing the image
 * toward a flat colour. With a neutral target and s = 1 every row is LUMA: exact greyscale.
 */
export function colouriseMatrix(target: Rgb, strength: number): Matrix3x3 {
  const targetLuma = LUMA[0] * target[0] + LUMA[1] * target[1] + LUMA[2] * target[2];
  // Pure black has no chroma to aim at: treat it as neutral.
  const direction = targetLuma > 0 ? target.map((c) => c / targetLuma) : [...NEUTRAL];
  const row = (i: number): [number, number, number] => {
    const cell = (j: number) => (i === j ? 1 - strength : 0) + strength * direction[i] * LUMA[j];
    return [cell(0), cell(1), cell(2)];
  };
  return [row(0), row(1), row(2)];
}
