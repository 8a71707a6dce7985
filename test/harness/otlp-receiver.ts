/**
 * A real OTLP/HTTP trace receiver on loopback: accepts POST /v1/traces in protobuf (what the
 * exporter sends) and decodes it with the OTLP protos that @opentelemetry/otlp-transformer ships.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// The generated protobufjs root has no type declarations; only decode() is used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  attributes: Record<string, unknown>;
}

const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : '');

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Content types of the export requests received. */
  readonly contentTypes: string[] = [];
  private readonly server = http.createServer((req, res) => this.receive(req, res));

  static async start(): Promise<OtlpReceiver> {
    const r = new OtlpReceiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      this.contentTypes.push(String(req.headers['content-type']));
      const message = ExportTraceServiceRequest.decode(Buffer.concat(chunks));
      for (const resourceSpans of message.resourceSpans ?? []) {
        const service = (resourceSpans.resource?.attributes ?? []).find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '';
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            const attributes: Record<string, unknown> = {};
            for (const a of span.attributes ?? []) attributes[a.key] = a.value?.stringValue ?? a.value?.intValue?.toString() ?? a.value?.boolValue;
            this.spans.push({
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: hex(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              service,
              attributes,
            });
          }
        }
      }
      // An empty ExportTraceServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
