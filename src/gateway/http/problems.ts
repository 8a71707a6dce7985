/**
 * Every error answer is an RFC 9457 problem document (application/problem+json). Handlers throw
 * HttpProblem; errors.ts turns it, schema validation failures, fastify's own errors and the domain's
 * errors into one shape, so clients parse a single format.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

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
  /** The database, the image store or Temporal is unreachable for the moment (503 with Retry-After). */
  dependencyUnavailable: 'urn:refinery:problem:dependency-unavailable',
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
