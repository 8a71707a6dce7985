/**
 * What the encryption suites share: a dev server of the file's own (its database file is read), an
 * image server, texts only one run carries, and which payloads of a stored history go through the
 * codec.
 */
import { randomBytes } from 'node:crypto';
import { DevServer } from '../../harness/dev-server';
import { ImageServer } from '../../harness/image-server';
import { conceptPng } from '../../harness/images';
import { fetchRawHistory, type RawHistory } from '../../harness/raw-history';
import type { TestStack } from '../../harness/stack';

export const keyA = `A:${randomBytes(32).toString('base64')}`;
export const OPERATOR_TOKEN = randomBytes(32).toString('base64url');

export let server: DevServer;
export let images: ImageServer;
export let original: Buffer;

/** Starts the dev server and the image server before the file's tests; stops them after. */
export function useDevServer(): void {
  beforeAll(async () => {
    [server, images, original] = await Promise.all([DevServer.start(), ImageServer.start(), conceptPng()]);
  });
  afterAll(async () => {
    await images?.close();
    await server?.stop();
  });
}

/** Texts only this run carries, so finding one anywhere means this run leaked it. */
export function secrets(label: string) {
  const marker = `${label}-${randomBytes(6).toString('hex')}`;
  return {
    refinementPrompt: `Make it autumn-themed, prompt ${marker}`,
    logoDescription: `A minimalist fox, logo ${marker}`,
    themeDescription: `Modern tech, theme ${marker}`,
    path: `/originals/${marker}/fox.png`,
  };
}

export const history = (stack: TestStack, taskId: string): Promise<RawHistory> =>
  fetchRawHistory(server.address, stack.config.temporal.namespace, `refinement-${taskId}`);

/**
 * The OpenTelemetry interceptors' headers stay in clear (the SDK passes headers through no codec):
 * history-and-codec.test.ts checks they hold a W3C trace context and nothing else.
 */
export const isTraceContext = (p: { path: string }) => p.path.endsWith('header.fields._tracer-data');
/**
 * Version markers (`patched()`) are written by the SDK's core, past the codec: they hold a patch id
 * (`shared-text-rule`, ...) and nothing of the request; history-and-codec.test.ts checks that.
 */
export const isPatchMarker = (p: { path: string }) => /markerRecordedEventAttributes\.details\.patch-data\./.test(p.path);
/**
 * A local activity's marker carries, beside its result (through the codec), the SDK core's own record
 * of the call, past the codec: sequence number, attempt, activity id and type, times.
 * history-and-codec.test.ts checks it holds nothing else.
 */
export const isLocalActivityRecord = (p: { path: string }) => /markerRecordedEventAttributes\.details\.data\./.test(p.path);
/**
 * What goes through the codec: every payload but the search attributes (Temporal indexes them in
 * clear), trace context and the SDK's markers.
 */
export const codecPayloads = (raw: RawHistory) =>
  raw.payloads.filter((p) => !/searchAttributes/i.test(p.path) && !isTraceContext(p) && !isPatchMarker(p) && !isLocalActivityRecord(p));
