/**
 * The one place where errors become HTTP answers: our own HttpProblem, schema validation failures,
 * the client's mistakes fastify and Node's parser refuse, and the errors of the layers below that
 * mean something to the caller. Anything else is logged and answered 500, without its details.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { status as grpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, type ZodFastifySchemaValidationError } from 'fastify-type-provider-zod';
import { InvalidConceptCursorError } from '../../adapters/concept-store/concept-store';
import { RefinementNotFoundError } from '../../client/refinements';
import { classifyDatabaseError } from '../../adapters/database/database-errors';
import { BlockedAddressError, InvalidRefinementInputError, InvalidWebhookUrlError, StorageUnavailableError, type RefineryError } from '../../errors';
import { isTemporalUnreachable } from '../../temporal/connection';
import { InvalidCursorError } from '../stores/ownership';
import { HttpProblem, notFound, PROBLEM_CONTENT_TYPE, ProblemType, sendProblem, validationProblem, type FieldProblem } from './problems';

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

/** The answer an error stands for, or undefined when it is a failure of ours (a 500). */
export function problemOf(error: FastifyError | Error): HttpProblem | undefined {
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
  return domainProblem(error);
}

/** Errors from the layers below that have a meaning for the caller. */
function domainProblem(error: Error): HttpProblem | undefined {
  if (error instanceof RefinementNotFoundError) return notFound(`refinement ${error.taskId}`);
  if (error instanceof InvalidCursorError || error instanceof InvalidConceptCursorError) {
    return validationProblem([{ field: 'query.cursor', pointer: '/cursor', in: 'querystring', detail: error.message }]);
  }
  if (error instanceof InvalidWebhookUrlError || error instanceof BlockedAddressError) {
    return new HttpProblem({ type: ProblemType.validation, title: 'Invalid webhook URL', status: 400, detail: error.message });
  }
  if (error instanceof InvalidRefinementInputError) {
    return new HttpProblem({ type: ProblemType.validation, title: 'Invalid request', status: 400, detail: error.message });
  }
  const dependency = unreachableDependency(error);
  if (dependency) {
    // Not the caller's fault nor a bug of ours: the same request can succeed once it is back.
    return new HttpProblem(
      {
        type: ProblemType.dependencyUnavailable,
        title: 'Service Unavailable',
        status: 503,
        detail: `${dependency} is unreachable for the moment; try again in a few seconds`,
      },
      { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    );
  }
  return undefined;
}

/** About the time a database fail-over or a Temporal frontend restart takes. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** gRPC statuses of a Temporal call that mean "not reachable now", not "refused". */
const TEMPORAL_UNREACHABLE_CODES = new Set<number>([grpcStatus.UNAVAILABLE, grpcStatus.DEADLINE_EXCEEDED]);

/**
 * Which dependency a failure says is unreachable (connection refused or cut, no connection to be had
 * in time), looking through the causes the layers below wrap it in; undefined for anything else.
 * Never its address: that is in the error, for the operator's log.
 */
function unreachableDependency(error: Error): string | undefined {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageUnavailableError) return /database|concept store|webhook store/i.test(e.message) ? 'the database' : 'storage';
    if (isGrpcServiceError(e) && TEMPORAL_UNREACHABLE_CODES.has(e.code)) return 'Temporal';
    if (isTemporalUnreachable(e)) return 'Temporal';
    // knex and pg directly (the gateway's own tables): ECONNREFUSED, a terminated connection, no pooled connection in time.
    if (classifyDatabaseError(e, 'query') instanceof StorageUnavailableError) return 'the database';
  }
  return undefined;
}

/** The error and not-found handlers of the whole app (fastify-plugin: they apply to the root). */
export const errorHandling = fp(
  async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const problem = problemOf(error as Error);
      if (problem) {
        // What only the operator may see (the address a refused host resolved to) goes to the log, never into the answer.
        const operatorDetail = (error as Partial<RefineryError>).operatorDetail;
        if (operatorDetail) request.log.warn({ operatorDetail, detail: problem.body.detail }, 'request refused');
        return sendProblem(request, reply, problem);
      }
      request.log.error({ err: error }, 'request failed');
      return sendProblem(request, reply, new HttpProblem({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
    });
    app.setNotFoundHandler((request, reply) => sendProblem(request, reply, notFound(`route ${request.method} ${request.url.split('?')[0]}`)));
  },
  { name: 'refinery-error-handling' },
);

/**
 * fastify's `frameworkErrors` option: the router's own refusals (a malformed URL component, a path
 * parameter over the router's length limit) would otherwise answer fastify's plain JSON.
 */
export function frameworkErrorProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(request, reply, problemOf(error) ?? new HttpProblem({ type: 'about:blank', title: 'Bad Request', status: 400 }));
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
