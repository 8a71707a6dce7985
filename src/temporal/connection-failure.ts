/**
 * Why a connection to Temporal failed, in words that name the setting to change. The SDK's own errors
 * often say only "Failed to connect before the deadline", so when TLS is configured a TLS handshake of
 * our own, with the same CA, certificate and server name, supplies the reason.
 */
import tls from 'node:tls';
import type { TemporalClientConfig } from '../config';
import { describeError, TemporalConnectionError } from '../errors';

export async function explainConnectionFailure(config: TemporalClientConfig, err: unknown): Promise<TemporalConnectionError> {
  const handshake = config.temporal.tls ? await tlsHandshakeFailure(config) : undefined;
  // Without TLS configured, a server that expects it often looks merely unreachable ("Failed to connect
  // before the deadline"), which would be waited for forever: ask it for a TLS handshake to tell.
  const expectsTls = !config.temporal.tls && !(err instanceof TypeError) && (await completesTlsHandshake(config.temporal.address));
  const cause = handshake ? `${causeChain(err)}; TLS handshake: ${handshake}` : expectsTls ? `${causeChain(err)}; the server completes a TLS handshake` : causeChain(err);
  // The SDK checks its arguments first (a TypeError): the address itself is wrong, nothing was dialled.
  const settingsHint =
    err instanceof TypeError ? `. TEMPORAL_ADDRESS must be host:port (e.g. temporal.example.com:7233), with no scheme or path` : hint(config, cause);
  // Retryable only when nothing points at the settings: a refused certificate stays refused.
  return new TemporalConnectionError(`${describeConnectionFailure(config, cause)}${settingsHint}`, settingsHint === '', { cause: err });
}

/** The SDK wraps the telling error ("Failed to connect to Temporal server", cause: UNAUTHENTICATED ...): show the chain. */
function causeChain(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e !== undefined && messages.length < 4; e = e instanceof Error ? e.cause : undefined) {
    const message = describeError(e);
    if (!messages.includes(message)) messages.push(message);
  }
  return messages.join(': ');
}

function describeConnectionFailure(config: TemporalClientConfig, cause: string): string {
  const { address, tls, apiKey } = config.temporal;
  const settings = tls
    ? [
        'TLS',
        tls.files.ca ? `CA TEMPORAL_TLS_CA_FILE=${tls.files.ca}` : "the system's CAs",
        tls.files.cert ? `client certificate TEMPORAL_TLS_CERT_FILE=${tls.files.cert}` : 'no client certificate',
        tls.serverNameOverride ? `server name TEMPORAL_TLS_SERVER_NAME=${tls.serverNameOverride}` : undefined,
        apiKey ? 'TEMPORAL_API_KEY set' : undefined,
      ]
    : ['plaintext (no TEMPORAL_TLS_* set)'];
  return `cannot connect to Temporal at ${address} (${settings.filter(Boolean).join(', ')}): ${cause}`;
}

/** What to change, when the cause is a TLS mistake we recognise; '' otherwise. */
function hint(config: TemporalClientConfig, cause: string): string {
  const tls = config.temporal.tls;
  if (/certificate required|bad certificate|handshake failure|CertificateRequired|alert/i.test(cause)) {
    return tls?.files.cert
      ? '. The server refused the client certificate: check that TEMPORAL_TLS_CERT_FILE is signed by a CA the server trusts'
      : '. The server requires a client certificate (mTLS): set TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE';
  }
  if (/UnknownIssuer|self[- ]signed|unable to (verify|get local issuer)|unknown ca|certificate verify|invalid peer certificate/i.test(cause)) {
    return ". The server's certificate is not signed by a trusted CA: set TEMPORAL_TLS_CA_FILE to the CA that signed it";
  }
  if (/NotValidForName|hostname|altnames|does not match/i.test(cause)) {
    return ". The server's certificate does not name this host: set TEMPORAL_TLS_SERVER_NAME to the name in the certificate";
  }
  if (/UNAUTHENTICATED|PERMISSION_DENIED|unauthori[sz]ed/i.test(cause)) {
    return config.temporal.apiKey
      ? '. The server refused the credentials: check TEMPORAL_API_KEY and TEMPORAL_NAMESPACE'
      : '. The server wants credentials: set TEMPORAL_API_KEY, or a client certificate (TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_KEY_FILE)';
  }
  if (tls && /wrong version number|InvalidContentType|packet length too long|unknown protocol/i.test(cause)) {
    return '. The server does not answer TLS: unset TEMPORAL_TLS and the TEMPORAL_TLS_* settings if it is plaintext, or check TEMPORAL_ADDRESS';
  }
  if (!tls && /EPROTO|wrong version number|Connection reset|http2|Protocol error|completes a TLS handshake/i.test(cause)) {
    return '. The server may expect TLS: set TEMPORAL_TLS=true or the TEMPORAL_TLS_* files';
  }
  return '';
}

/**
 * Opens a TLS connection to the frontend with the configured CA, client certificate and server name,
 * and returns why it failed, or undefined if it succeeded or the server could not be reached at all.
 * Under TLS 1.3 the server judges the client certificate after the client's handshake is done, so a
 * refusal arrives as an alert just after it: wait a moment for one.
 */
async function tlsHandshakeFailure(config: TemporalClientConfig): Promise<string | undefined> {
  const settings = config.temporal.tls!;
  const url = new URL(`tcp://${config.temporal.address}`);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 7233),
      servername: settings.serverNameOverride ?? (url.hostname.match(/^[\d.]+$|:/) ? undefined : url.hostname),
      ca: settings.serverRootCACertificate,
      cert: settings.clientCertPair?.crt,
      key: settings.clientCertPair?.key.reveal(),
      ALPNProtocols: ['h2'],
    });
    const done = (result: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(undefined), 5_000);
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' ? undefined : err.message.trim()));
    socket.once('secureConnect', () => setTimeout(() => done(undefined), 1_000).unref());
  });
}

/** True when a TLS handshake (any certificate accepted) with the address completes within a few seconds. */
function completesTlsHandshake(address: string): Promise<boolean> {
  const url = new URL(`tcp://${address}`);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 7233),
      servername: url.hostname.match(/^[\d.]+$|:/) ? undefined : url.hostname,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    const done = (result: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(false), 3_000);
    socket.once('error', () => done(false));
    socket.once('secureConnect', () => done(true));
  });
}
