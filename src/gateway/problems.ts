/**
 * Every error answer is an RFC 9457 problem document (application/problem+json). Handlers throw
 * HttpProblem; the error handler turns it, schema validation failures and fastify's own errors into
 * one shape, so clients parse a single format.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ZodFastifySchemaValidationError } from 'fastify-type-provider-zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem type URIs; `about:blank` where the status code says it all. */
export const ProblemType = {
  validation: 'urn:refinery:problem:validation',
  unauthorized: 'urn:refinery:problem:unauthorized',
  notFound: 'urn:refinery:problem:not-found',
  rateLimited: 'urn:refinery:problem:rate-limited',
  tooManyRunning: 'urn:refinery:problem:too-many-running',
  notCancellable: 'urn:refinery:problem:not-cancellable',
  idempotencyConflict: 'urn:refinery:problem:idempotency-key-reused',
  tooLarge: 'urn:refinery:problem:payload-too-large',
  forbidden: 'urn:refinery:problem:forbidden',
  unavailable: 'urn:refinery:problem:unavailable',
} as const;

export interface FieldProblem {
  /** Where the bad value is, e.g. `body.refinementPrompt` or `query.limit`. */
  field: string;
  /** JSON Pointer into the request part named by `in`. */
  pointer: string;
  in: 'body' | 'querystring' | 'params' | 'headers';
  detail: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export class HttpProblem extends Error {
  readonly statusCode: number;
  constructor(
    readonly body: ProblemBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.detail ?? body.title);
    this.statusCode = body.status;
  }
}

export const notFound = (what: string) =>
  new HttpProblem({ type: ProblemType.notFound, title: 'Not Found', status: 404, detail: `no ${what}` });

export function validationProblem(errors: FieldProblem[]): HttpProblem {
  const detail = errors.map((e) => `${e.field}: ${e.detail}`).join('; ');
  return new HttpProblem({ type: ProblemType.validation, title: 'Invalid request', status: 400, detail, errors });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply
    .code(problem.statusCode)
    .type(PROBLEM_CONTENT_TYPE)
    // The request id ties a problem a caller reports to the gateway's and the worker's log lines.
    .send({ ...problem.body, instance: request.url.split('?')[0], requestId: request.id });
}

/** fastify error codes that are the client's fault, with the status and title to answer. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; type: string; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, type: ProblemType.tooLarge, title: 'Request body too large' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, type: ProblemType.tooLarge, title: 'Uploaded file too large' },
  FST_FILES_LIMIT: { status: 413, type: ProblemType.tooLarge, title: 'Too many files' },
  FST_FIELDS_LIMIT: { status: 413, type: ProblemType.tooLarge, title: 'Too many fields' },
  FST_PARTS_LIMIT: { status: 413, type: ProblemType.tooLarge, title: 'Too many parts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, type: 'about:blank', title: 'Unsupported Media Type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, type: ProblemType.validation, title: 'Invalid request' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, type: ProblemType.validation, title: 'Invalid request' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, type: 'about:blank', title: 'Unsupported Media Type' },
  // Raised by the router before any route runs (frameworkErrors below).
  FST_ERR_BAD_URL: { status: 400, type: ProblemType.validation, title: 'Invalid request' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, type: 'about:blank', title: 'URI Too Long' },
};

/**
 * fastify's `frameworkErrors` option: the router's own refusals (a malformed URL component, a path
 * parameter over the router's length limit) would otherwise answer fastify's plain JSON.
 */
export function frameworkErrorProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(request, reply, toProblem(error) ?? new HttpProblem({ type: 'about:blank', title: 'Bad Request', status: 400 }));
}

/**
 * fastify's `clientErrorHandler`: requests Node's HTTP parser refused (malformed request line or
 * headers, header overflow, request timeout) never reach fastify's routing, so the socket is
 * answered by hand, in the same problem+json shape.
 */
export function clientErrorProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail: 'the HTTP request could not be parsed' });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function toProblem(error: FastifyError | Error): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = ((error as { validationContext?: FieldProblem['in'] }).validationContext ?? 'body') as FieldProblem['in'];
    return validationProblem(error.validation.flatMap((issue) => fieldProblems(part, issue)));
  }
  const code = (error as FastifyError).code;
  const known = code ? FASTIFY_CLIENT_ERRORS[code] : undefined;
  if (known) return new HttpProblem({ ...known, detail: error.message });
  const status = (error as FastifyError).statusCode;
  // A body that is not JSON at all: fastify passes on the parser's SyntaxError with status 400.
  if (status && status >= 400 && status < 500) {
    return new HttpProblem({ type: status === 400 ? ProblemType.validation : 'about:blank', title: 'Bad Request', status, detail: error.message });
  }
  return undefined;
}

/** One entry per bad field; an unknown-keys issue names each unknown key as its own field. */
function fieldProblems(part: FieldProblem['in'], issue: ZodFastifySchemaValidationError): FieldProblem[] {
  const keys = (issue.params as { keys?: unknown } | undefined)?.keys;
  const base = issue.instancePath.split('/').filter(Boolean);
  const entry = (segments: string[], detail: string): FieldProblem => ({
    field: [part === 'querystring' ? 'query' : part, ...segments].join('.'),
    pointer: '/' + segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'),
    in: part,
    detail,
  });
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys) && keys.length > 0) {
    return keys.map((key) => entry([...base, String(key)], 'is not a known field'));
  }
  return [entry(base, issue.message ?? 'is invalid')];
}
