/**
 * The connection to Temporal: address, namespace, task queue, and TLS or an API key for an mTLS
 * cluster or Temporal Cloud. Every TLS file is read and parsed here, so that a wrong path, a file
 * that is not PEM, or a certificate without its key stops the process at start-up naming the
 * variable, instead of surfacing later as a failed handshake.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { defineConcern, type Parsed } from './concern';
import { bool, optionalText, refuse, Secret } from './env';

export interface TemporalConnectionConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The Worker Deployment the workers' versions belong to (docs/deploying.md#worker-versioning). */
  deploymentName: string;
  /** Absent: plaintext. Present: TLS, with the contents of the configured files (read at start-up). */
  tls?: TemporalTlsConfig;
  apiKey?: Secret;
}

export interface TemporalTlsConfig {
  /** Absent: the system's CAs (Temporal Cloud). */
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Secret<Buffer> };
  serverNameOverride?: string;
  /** Where the settings came from, for error messages (paths only, never contents). */
  files: { ca?: string; cert?: string; key?: string };
}

const variables = {
  // Checked here because a malformed address would otherwise look like an unreachable server, which is waited for.
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*)(:\d{1,5})?$/, 'must be host:port (e.g. temporal.example.com:7233), with no scheme or path')
    .default('127.0.0.1:7233')
    .describe('Temporal frontend, `host:port`.'),
  TEMPORAL_NAMESPACE: z.string().default('default').describe('The namespace refinements run in.'),
  TEMPORAL_TASK_QUEUE: z.string().default('concept-refinement').describe('Task queue of the workflow and the cheap stages; the refine stage runs on `<queue>-provider`.'),
  // The server joins it to a build id with a separator of its own: letters, digits, '-' and '_' only.
  TEMPORAL_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, "must be 1 to 100 letters, digits, '-' or '_'")
    .default('refinery')
    .describe("The Worker Deployment of the workers: each build of the workflow code is a version of it, and `refinery deploy` manages which one new refinements start on."),
  TEMPORAL_TLS_CA_FILE: optionalText.meta({
    description: "PEM CA certificate(s) that the frontend's certificate must chain to (a self-run mTLS cluster).",
    defaultText: "(unset: the system's CAs)",
  }),
  TEMPORAL_TLS_CERT_FILE: optionalText.describe('PEM client certificate for mTLS; set together with `TEMPORAL_TLS_KEY_FILE`.'),
  TEMPORAL_TLS_KEY_FILE: optionalText.describe("PEM private key of that certificate, unencrypted; set together with `TEMPORAL_TLS_CERT_FILE`."),
  TEMPORAL_TLS_SERVER_NAME: optionalText.meta({
    description: "The name expected in the frontend's certificate (and sent as SNI), when it differs from the host dialled.",
    defaultText: "(the address's host)",
  }),
  TEMPORAL_TLS: bool.optional().meta({
    description: '`true`: TLS with the system\'s CAs and nothing else; `false`: plaintext (refused together with TLS files or an API key).',
    defaultText: 'on when any `TEMPORAL_TLS_*` file or name, or `TEMPORAL_API_KEY`, is set',
  }),
  TEMPORAL_API_KEY: optionalText.describe('Temporal Cloud API key, sent as `Authorization: Bearer`; needs TLS; never logged (it prints as `[redacted]`).'),
};

type Values = Parsed<typeof variables>;

export const temporal = defineConcern({
  title: 'Temporal',
  variables,
  options: (e): { temporal: TemporalConnectionConfig } => ({
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      deploymentName: e.TEMPORAL_DEPLOYMENT_NAME,
      tls: temporalTls(e),
      apiKey: e.TEMPORAL_API_KEY ? new Secret(e.TEMPORAL_API_KEY) : undefined,
    },
  }),
});

function temporalTls(e: Values): TemporalTlsConfig | undefined {
  const anyTlsSetting = Boolean(e.TEMPORAL_TLS_CA_FILE || e.TEMPORAL_TLS_CERT_FILE || e.TEMPORAL_TLS_KEY_FILE || e.TEMPORAL_TLS_SERVER_NAME);
  if (e.TEMPORAL_TLS === false) {
    if (anyTlsSetting) refuse('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* files or server name that are set');
    // A bearer key over plaintext is readable by anyone on the path: refuse rather than leak it.
    if (e.TEMPORAL_API_KEY) refuse('TEMPORAL_API_KEY needs TLS; it would be sent in the clear with TEMPORAL_TLS=false');
    return undefined;
  }
  if (!e.TEMPORAL_TLS && !anyTlsSetting && !e.TEMPORAL_API_KEY) return undefined;
  if (Boolean(e.TEMPORAL_TLS_CERT_FILE) !== Boolean(e.TEMPORAL_TLS_KEY_FILE)) {
    refuse('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE must be set together (a client certificate and its key)');
  }
  const tls: TemporalTlsConfig = { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME, files: {} };
  if (e.TEMPORAL_TLS_CA_FILE) {
    tls.serverRootCACertificate = certificate('TEMPORAL_TLS_CA_FILE', e.TEMPORAL_TLS_CA_FILE).pem;
    tls.files.ca = e.TEMPORAL_TLS_CA_FILE;
  }
  if (e.TEMPORAL_TLS_CERT_FILE && e.TEMPORAL_TLS_KEY_FILE) {
    const cert = certificate('TEMPORAL_TLS_CERT_FILE', e.TEMPORAL_TLS_CERT_FILE);
    const key = read('TEMPORAL_TLS_KEY_FILE', e.TEMPORAL_TLS_KEY_FILE);
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      return refuse(`TEMPORAL_TLS_KEY_FILE: ${e.TEMPORAL_TLS_KEY_FILE} is not a PEM private key (an encrypted key is not supported)`);
    }
    if (!cert.x509.checkPrivateKey(privateKey)) {
      refuse(`TEMPORAL_TLS_KEY_FILE: ${e.TEMPORAL_TLS_KEY_FILE} is not the key of the certificate in TEMPORAL_TLS_CERT_FILE`);
    }
    tls.clientCertPair = { crt: cert.pem, key: new Secret(key) };
    tls.files.cert = e.TEMPORAL_TLS_CERT_FILE;
    tls.files.key = e.TEMPORAL_TLS_KEY_FILE;
  }
  return tls;
}

function read(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    return refuse(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

function certificate(variable: string, file: string): { pem: Buffer; x509: X509Certificate } {
  const pem = read(variable, file);
  try {
    return { pem, x509: new X509Certificate(pem) };
  } catch {
    return refuse(`${variable}: ${file} is not a PEM certificate`);
  }
}
