/**
 * The multipart form of POST /v1/refinements: text fields plus the original as the file part
 * `image`. Parsed before validation, so the fields go through the same zod schema as a JSON body.
 * The file is read with busboy's size limit, so an oversized upload is cut off while it streams
 * instead of after it has all arrived; its format is judged from its bytes, not its declared type.
 */
import type { FastifyRequest } from 'fastify';
import { inspectImage } from '../../adapters/images/image-inspection';
import { describeError } from '../../errors';
import type { UploadedImage } from '../admission';
import { HttpProblem, ProblemType, validationProblem } from '../http/problems';

declare module 'fastify' {
  interface FastifyRequest {
    upload?: UploadedImage;
  }
}

/** Fields that may appear more than once and so become lists. */
const LIST_FIELDS = new Set(['preserveAspects']);

export async function readMultipartRefinement(
  request: FastifyRequest,
  limits: { maxBytes: number; maxPixels: number },
): Promise<void> {
  const fields: Record<string, string | string[]> = {};
  let upload: Buffer | undefined;
  try {
    upload = await readParts(request, limits, fields);
  } catch (err) {
    throw malformedBodyProblem(err);
  }
  if (!upload || upload.length === 0) {
    throw validationProblem([{ field: 'body.image', pointer: '/image', in: 'body', detail: 'a multipart request needs the image file part' }]);
  }
  if (fields.originalImageUrl !== undefined) {
    throw validationProblem([
      { field: 'body.originalImageUrl', pointer: '/originalImageUrl', in: 'body', detail: 'must not be sent together with an uploaded image' },
    ]);
  }
  let contentType: string;
  try {
    contentType = (await inspectImage(upload, { maxPixels: limits.maxPixels })).contentType;
  } catch (err) {
    throw new HttpProblem({ type: ProblemType.validation, title: 'Unsupported image', status: 415, detail: describeError(err) });
  }
  request.body = fields;
  request.upload = { data: upload, contentType };
}

/** Reads every part; the text fields go into `fields`, the image is returned. */
async function readParts(
  request: FastifyRequest,
  limits: { maxBytes: number },
  fields: Record<string, string | string[]>,
): Promise<Buffer | undefined> {
  let upload: Buffer | undefined;
  for await (const part of request.parts({ limits: { fileSize: limits.maxBytes, files: 1, fields: 30, fieldSize: 8 * 1024 } })) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image') {
        part.file.resume();
        throw validationProblem([{ field: `body.${part.fieldname}`, pointer: `/${part.fieldname}`, in: 'body', detail: 'is not a known file field; send the image as `image`' }]);
      }
      // toBuffer throws RequestFileTooLargeError (413) as soon as the limit is passed.
      upload = await part.toBuffer();
      continue;
    }
    const value = String(part.value);
    if (LIST_FIELDS.has(part.fieldname)) fields[part.fieldname] = [...((fields[part.fieldname] as string[] | undefined) ?? []), value];
    else fields[part.fieldname] = value;
  }
  return upload;
}

/**
 * What the multipart parser throws for a body that is not well-formed multipart (no boundary, an
 * empty or unterminated `boundary=`, a body that ends before its closing boundary because the client
 * aborted the upload) is the client's fault: 400, not a server error. Our own answers (413 for an
 * oversized file, 400 for a wrong field) pass through as they are.
 */
function malformedBodyProblem(err: unknown): unknown {
  if (err instanceof HttpProblem) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('FST_')) return err;
  return new HttpProblem({
    type: ProblemType.validation,
    title: 'Malformed multipart body',
    status: 400,
    detail: `the multipart/form-data body could not be read: ${describeError(err)}`,
  });
}
