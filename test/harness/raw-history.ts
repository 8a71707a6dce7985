/**
 * A run's history as the server stores it: fetched on a bare gRPC connection (no data converter, no
 * codec), so what it holds is what the server, its database and the Web UI hold.
 */
import { Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export interface StoredPayload {
  /** Where in the history, e.g. `events.0.workflowExecutionStartedEventAttributes.input.payloads.0`. */
  path: string;
  encoding?: string;
  keyId?: string;
  payload: Payload;
}

export interface RawHistory {
  /** The history's protobuf bytes, as the server keeps them. */
  bytes: Buffer;
  events: temporal.api.history.v1.IHistoryEvent[];
  /** Every payload in the history. */
  payloads: StoredPayload[];
}

export async function fetchRawHistory(address: string, namespace: string, workflowId: string): Promise<RawHistory> {
  const connection = await Connection.connect({ address });
  try {
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, nextPageToken });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode({ events }).finish());
    return { bytes, events, payloads: payloadsIn(events, 'events') };
  } finally {
    await connection.close();
  }
}

const text = (value: Uint8Array | undefined) => (value ? Buffer.from(value).toString('utf8') : undefined);

/** A payload is an object with a `metadata` map of bytes; everything else is walked into. */
function payloadsIn(value: unknown, path: string): StoredPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const object = value as Record<string, unknown>;
  const metadata = object.metadata as Record<string, Uint8Array> | undefined;
  if (metadata && typeof metadata === 'object' && Object.values(metadata).every((v) => v instanceof Uint8Array) && 'encoding' in metadata) {
    const payload = object as Payload;
    return [{ path, encoding: text(metadata.encoding), keyId: text(metadata['encryption-key-id']), payload }];
  }
  return Object.entries(object).flatMap(([key, child]) => payloadsIn(child, `${path}.${key}`));
}

/** A payload in the codec server's JSON form (protobuf JSON: base64 data and metadata values). */
export function payloadJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}
