/** A typed client of the gateway's HTTP API (undici), for the CLI and for scripts. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FormData, request } from 'undici';
import type { RefinementList, RefinementView, StartedRefinement } from '../gateway/routes/refinements.schemas';
import type { conceptList, lineageView } from '../gateway/routes/lineage.schemas';
import type { z } from 'zod';

export type ConceptList = z.infer<typeof conceptList>;
export type LineageView = z.infer<typeof lineageView>;
import { refinementRequestOf, type RefinementRequest, type RefinementStatus } from '../workflows/types';

/** The answers' types come from the gateway's own schemas, so client and server cannot drift apart. */
export type { RefinementList, RefinementView, StartedRefinement } from '../gateway/routes/refinements.schemas';

/** A refinement request and the image it applies to. */
export interface StartRequest extends RefinementRequest {
  /** An http(s) URL, or a local file that is uploaded. */
  image: string;
  idempotencyKey?: string;
}

/** A problem+json answer (or any non-2xx) from the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { field: string; detail: string }[] } & Record<string, unknown>,
  ) {
    super(`${status} ${problem.title ?? 'error'}${problem.detail ? `: ${problem.detail}` : ''}`);
  }
}

export class RefineryApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async start(req: StartRequest): Promise<StartedRefinement> {
    const headers: Record<string, string> = req.idempotencyKey ? { 'idempotency-key': req.idempotencyKey } : {};
    const request = refinementRequestOf(req);
    // Anything written as a URL goes to the gateway as one (it says what is wrong with other schemes).
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(req.image)) {
      return this.call('POST', '/v1/refinements', { json: { ...request, originalImageUrl: req.image }, headers });
    }
    const { preserveAspects = [], ...texts } = request;
    const form = new FormData();
    for (const [name, value] of Object.entries(texts)) form.set(name, value);
    for (const aspect of preserveAspects) form.append('preserveAspects', aspect);
    form.set('image', new Blob([await fs.readFile(req.image)]), path.basename(req.image));
    return this.call('POST', '/v1/refinements', { body: form, headers });
  }

  get(taskId: string): Promise<RefinementView> {
    return this.call('GET', `/v1/refinements/${encodeURIComponent(taskId)}`);
  }

  list(query: { status?: RefinementStatus; cursor?: string; limit?: number } = {}): Promise<RefinementList> {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/refinements${params.size ? `?${params}` : ''}`);
  }

  /** Refines a stored concept again; descriptions default to the concept's. */
  refineConcept(
    conceptId: string,
    body: Pick<RefinementRequest, 'refinementPrompt'> & Partial<RefinementRequest>,
    idempotencyKey?: string,
  ): Promise<StartedRefinement> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return this.call('POST', `/v1/concepts/${encodeURIComponent(conceptId)}/refinements`, { json: body, headers });
  }

  concepts(query: { root?: string; cursor?: string; limit?: number } = {}): Promise<ConceptList> {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/concepts${params.size ? `?${params}` : ''}`);
  }

  lineage(conceptId: string): Promise<LineageView> {
    return this.call('GET', `/v1/concepts/${encodeURIComponent(conceptId)}/lineage`);
  }

  cancel(taskId: string, reason?: string): Promise<{ taskId: string; status: 'cancelling' }> {
    return this.call('POST', `/v1/refinements/${encodeURIComponent(taskId)}/cancel`, { json: reason ? { reason } : {} });
  }

  concept(conceptId: string): Promise<Record<string, unknown> & { imageUrl: string }> {
    return this.call('GET', `/v1/concepts/${encodeURIComponent(conceptId)}`);
  }

  /** Calls `onEvent` for each SSE event until the stream ends; returns the final state. */
  async watch(taskId: string, onEvent: (view: RefinementView) => void, signal?: AbortSignal): Promise<RefinementView> {
    const response = await request(`${this.baseUrl}/v1/refinements/${encodeURIComponent(taskId)}/events`, {
      headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' },
      signal,
      bodyTimeout: 0,
    });
    if (response.statusCode !== 200) throw new ApiError(response.statusCode, (await response.body.json()) as ApiError['problem']);
    let buffer = '';
    let last: RefinementView | undefined;
    for await (const chunk of response.body) {
      buffer += chunk.toString();
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        if (event === 'error') throw new Error(`event stream failed: ${data}`);
        last = JSON.parse(data) as RefinementView;
        onEvent(last);
      }
    }
    if (!last || last.status === 'running') throw new Error('the event stream ended before the refinement did');
    return last;
  }

  private async call<T>(method: 'GET' | 'POST', pathname: string, options: { json?: unknown; body?: FormData; headers?: Record<string, string> } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await request(this.baseUrl + pathname, {
      method,
      headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
    });
    const text = await response.body.text();
    const parsed = text ? (JSON.parse(text) as unknown) : {};
    if (response.statusCode >= 400) throw new ApiError(response.statusCode, parsed as ApiError['problem']);
    return parsed as T;
  }
}
