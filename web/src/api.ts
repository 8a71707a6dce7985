/**
 * The page's only way to the gateway: same-origin fetch with the signed-in credential, problem+json
 * answers turned into ApiProblem, and the SSE route read through fetch streaming (EventSource cannot
 * send an Authorization header, and the credential must never go into a URL).
 */
import type { z } from 'zod';
import type { conceptList, lineageView, RefineConceptBody } from '../../src/gateway/routes/lineage.schemas';
import type { RefinementList, RefinementView, StartedRefinement } from '../../src/gateway/routes/refinements.schemas';
import { credential, signOut } from './session';

export type { RefinementList, RefinementView, StartedRefinement, RefineConceptBody };
export type Lineage = z.infer<typeof lineageView>;
export type ConceptList = z.infer<typeof conceptList>;
export type Concept = Lineage['chain'][number];
export type RefinementSummary = RefinementList['items'][number];
export type Stage = RefinementView['finishedStages'][number];

export interface FieldError {
  field: string;
  detail: string;
}

/** What the configured refiner understands (GET /v1/limits `refiner`). */
export interface RefinerCapabilities {
  refiner: string;
  understands: 'instructions' | 'open-prompt';
  instructions: { kind: string; description: string; examples: string[] }[];
  preservableAspects: string[];
}

export interface Limits {
  uploadMaxBytes: number;
  imageTypes: string[];
  maxPixels: number;
  urlLength: number;
  promptLength: number;
  descriptionLength: number;
  aspectLength: number;
  preserveAspects: number;
  /** Absent from gateways older than published capabilities. */
  refiner?: RefinerCapabilities;
}

/** An error answer of the API (RFC 9457), or a network failure with status 0. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: FieldError[] = [],
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

async function call<T>(method: string, path: string, body?: unknown, init: { auth?: boolean } = {}): Promise<T> {
  const headers = new Headers({ accept: 'application/json' });
  const auth = init.auth ?? true;
  if (auth) headers.set('authorization', `Bearer ${credential() ?? ''}`);
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers.set('content-type', 'application/json');
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'omit' });
  } catch {
    throw new ApiProblem(0, 'Network error', 'the gateway did not answer; check your connection and try again');
  }
  const text = await response.text();
  const parsed = text ? safeJson(text) : {};
  if (!response.ok) {
    const p = (parsed ?? {}) as { title?: string; detail?: string; errors?: FieldError[] };
    // An expired or revoked credential: back to sign-in rather than failing every call.
    if (response.status === 401 && auth) signOut('Your sign-in is no longer accepted: ' + (p.detail ?? 'sign in again'));
    throw new ApiProblem(response.status, p.title ?? response.statusText, p.detail, p.errors ?? []);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { title: 'Unexpected answer', detail: text.slice(0, 200) };
  }
}

export const api = {
  limits: () => call<Limits>('GET', '/v1/limits', undefined, { auth: false }),
  devLoginAvailable: async () => (await call<{ available: boolean }>('GET', '/v1/dev-login', undefined, { auth: false })).available,
  devLogin: (userId: string) => call<{ token: string }>('POST', '/v1/dev-login', { userId }, { auth: false }),
  /** Checks a credential by listing one refinement with it. */
  verify: (token: string) =>
    fetch('/v1/refinements?limit=1', { headers: { authorization: `Bearer ${token}` }, credentials: 'omit' }).then(async (r) => {
      if (!r.ok) {
        const p = (safeJson(await r.text()) ?? {}) as { title?: string; detail?: string };
        throw new ApiProblem(r.status, p.title ?? r.statusText, p.detail);
      }
    }),
  start: (body: FormData | Record<string, unknown>) => call<StartedRefinement>('POST', '/v1/refinements', body),
  get: (taskId: string) => call<RefinementView>('GET', `/v1/refinements/${encodeURIComponent(taskId)}`),
  list: (cursor?: string) =>
    call<RefinementList>('GET', `/v1/refinements?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  cancel: (taskId: string, reason: string) =>
    call<{ status: string }>('POST', `/v1/refinements/${encodeURIComponent(taskId)}/cancel`, reason ? { reason } : {}),
  /** Starts a refinement of a stored concept (its image is the original). */
  refineConcept: (conceptId: string, body: RefineConceptBody) =>
    call<StartedRefinement>('POST', `/v1/concepts/${encodeURIComponent(conceptId)}/refinements`, body),
  lineage: (conceptId: string) => call<Lineage>('GET', `/v1/concepts/${encodeURIComponent(conceptId)}/lineage`),
  concepts: (cursor?: string) =>
    call<ConceptList>('GET', `/v1/concepts?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  /** Paths of the OpenAPI document: features whose routes do not exist yet stay hidden. */
  routes: async (): Promise<Set<string>> => {
    const doc = await call<{ paths?: Record<string, unknown> }>('GET', '/openapi.json', undefined, { auth: false });
    return new Set(Object.keys(doc.paths ?? {}));
  },
};

let routes: Promise<Set<string>> | undefined;
/** The gateway's routes, read once per page load; an unreadable document hides the optional features. */
export function availableRoutes(): Promise<Set<string>> {
  routes ??= api.routes().catch(() => new Set<string>());
  return routes;
}

/**
 * Follows a refinement's event stream until its `end` event, calling onView for each state. Resolves
 * with the final state; rejects with ApiProblem on an error answer, or when the stream breaks off.
 */
export async function watchRefinement(taskId: string, onView: (view: RefinementView) => void, signal: AbortSignal): Promise<RefinementView> {
  const response = await fetch(`/v1/refinements/${encodeURIComponent(taskId)}/events`, {
    headers: { authorization: `Bearer ${credential() ?? ''}`, accept: 'text/event-stream' },
    credentials: 'omit',
    signal,
  });
  if (!response.ok || !response.body) {
    const p = (safeJson(await response.text()) ?? {}) as { title?: string; detail?: string };
    throw new ApiProblem(response.status, p.title ?? response.statusText, p.detail);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (!data) continue; // a keepalive comment
      if (event === 'error') throw new ApiProblem(502, 'Event stream failed', 'reconnecting');
      const view = JSON.parse(data) as RefinementView;
      onView(view);
      if (event === 'end') return view;
    }
  }
  throw new ApiProblem(0, 'Event stream ended early', 'reconnecting');
}
