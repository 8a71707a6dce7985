/**
 * How every process of Refinery reaches Temporal: one place that turns the configuration into
 * connection options (address, TLS, API key; the payload codec plugs in here too), so the worker, the
 * gateway and the tests never spell them out themselves, and a refused connection reads the same
 * everywhere.
 */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TemporalClientConfig } from '../config';
import { EncryptionCodec } from './encryption-codec';
import { RequestIdClientInterceptor } from '../observability/request-id-interceptors';
import { explainConnectionFailure } from './connection-failure';
import { TemporalConnectionError } from '../errors';
import { waitUntilReachable, type WaitOptions } from '../runtime/wait-until-reachable';

/** What both the client `Connection` and the worker's `NativeConnection` take, from one source. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  /** Sent as `Authorization: Bearer <key>`; only ever handed to the SDK, never logged. */
  apiKey?: string;
}

export function temporalConnectionOptions(config: TemporalClientConfig): TemporalConnectionOptions {
  const { address, tls, apiKey } = config.temporal;
  const options: TemporalConnectionOptions = { address };
  if (tls) {
    const { serverRootCACertificate, clientCertPair, serverNameOverride } = tls;
    options.tls = {
      serverRootCACertificate,
      serverNameOverride,
      clientCertPair: clientCertPair && { crt: clientCertPair.crt, key: clientCertPair.key.reveal() },
    };
  }
  if (apiKey) options.apiKey = apiKey.reveal();
  return options;
}

/**
 * How payloads are encoded on their way to Temporal: encrypted when PAYLOAD_ENCRYPTION_KEYS is set,
 * the default converter otherwise. Search attributes never pass through a codec: keep them free of
 * user text (src/workflows/messages.ts).
 */
export function temporalDataConverter(config: TemporalClientConfig): DataConverter | undefined {
  if (!config.payloadEncryption) return undefined;
  return { payloadCodecs: [new EncryptionCodec(config.payloadEncryption.keys)] };
}

/**
 * Connects with `connect` and turns a failure into a TemporalConnectionError that names the address and
 * the settings in play (never the API key), with a hint for the usual TLS mistakes.
 */
export async function connectToTemporal<T>(config: TemporalClientConfig, connect: (options: TemporalConnectionOptions) => Promise<T>): Promise<T> {
  try {
    return await connect(temporalConnectionOptions(config));
  } catch (err) {
    throw await explainConnectionFailure(config, err);
  }
}

/** Only an unreachable server is worth waiting for; refused settings stay refused (explainConnectionFailure). */
export function isTemporalUnreachable(err: unknown): boolean {
  return err instanceof TemporalConnectionError && err.retryable;
}

export interface WaitForTemporal extends WaitOptions {
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Each failure waited for (a health endpoint names it meanwhile). */
  onWait?: (err: unknown) => void;
}

/**
 * connectToTemporal, waiting with backoff (a log line per wait) while the server is unreachable, so a
 * process started before Temporal, or during its restart, comes up once it answers; a wrong address,
 * TLS setting or credential is thrown at once.
 */
export function connectToTemporalWhenReachable<T>(
  config: TemporalClientConfig,
  connect: (options: TemporalConnectionOptions) => Promise<T>,
  { logger, onWait, ...options }: WaitForTemporal,
): Promise<T> {
  return waitUntilReachable(
    { name: 'Temporal', where: config.temporal.address, attempt: () => connectToTemporal(config, connect), unreachable: isTemporalUnreachable, onWait },
    logger,
    options,
  );
}

export interface ClientCallOptions {
  /**
   * Tries of one call while the server is unreachable (the SDK's default is 10, about 15 s of
   * backoff). A server that answers people (the gateway) takes fewer, so that an outage becomes a
   * prompt 503 with Retry-After instead of a request held for the whole backoff.
   */
  unreachableAttempts?: number;
}

/**
 * A Temporal client on its own connection, for the gateway, the worker's signals and the tests. With
 * `wait`, an unreachable server is waited for (connectToTemporalWhenReachable); without, it is thrown.
 */
export async function connectTemporalClient(config: TemporalClientConfig, wait?: WaitForTemporal, calls: ClientCallOptions = {}): Promise<Client> {
  const retry = calls.unreachableAttempts ? { interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: calls.unreachableAttempts }))] } : {};
  const connect = (options: TemporalConnectionOptions) => Connection.connect({ ...(options as ConnectionOptions), ...retry });
  const connection = await (wait ? connectToTemporalWhenReachable(config, connect, wait) : connectToTemporal(config, connect));
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config),
    // The caller's trace context and request id travel in the start call's headers (src/observability).
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor(), new RequestIdClientInterceptor()] },
  });
}
