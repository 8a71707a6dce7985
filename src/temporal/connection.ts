/**
 * How every process of Refinery reaches Temporal: one place that turns the configuration into
 * connection options (address today; TLS, API keys and the payload codec plug in here), so the
 * worker, the gateway and the tests never spell them out themselves.
 */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';
import { EncryptionCodec } from './encryption-codec';
import { RequestIdClientInterceptor } from '../observability/request-id-interceptors';

/** Options shared by the client connection and the worker's native connection. */
export function temporalConnectionOptions(config: Config): Pick<ConnectionOptions, 'address'> {
  return { address: config.temporal.address };
}

/**
 * How payloads are encoded on their way to Temporal: encrypted when PAYLOAD_ENCRYPTION_KEYS is set,
 * the default converter otherwise. Search attributes never pass through a codec: keep them free of
 * user text (src/workflows/messages.ts).
 */
export function temporalDataConverter(config: Config): DataConverter | undefined {
  if (!config.payloadEncryption) return undefined;
  return { payloadCodecs: [new EncryptionCodec(config.payloadEncryption.keys)] };
}

/** A Temporal client on its own connection, for the gateway, the worker's signals and the tests. */
export async function connectTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    // The caller's trace context and request id travel in the start call's headers (src/observability).
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor(), new RequestIdClientInterceptor()] },
  });
}
