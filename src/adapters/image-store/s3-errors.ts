/**
 * What an S3 failure means for Refinery: retry later (throttling, 5xx, the network), tell the operator
 * which setting is wrong (no such bucket, access denied, bad credentials, wrong region or endpoint),
 * or a missing blob. Messages name the S3 error code, never credentials or the server's own text
 * (which, for signature errors, echoes what was signed).
 */
import { StorageMisconfiguredError, StorageUnavailableError } from '../../errors';
import { BlobNotFoundError } from './image-store';

export interface S3ErrorContext {
  /** What we were doing, e.g. "store refined/u/t.png". */
  action: string;
  /** The blob the call was about: a 404 then means "no such blob", not "no such bucket". */
  key?: string;
  bucket: string;
  endpoint?: string;
  forcePathStyle: boolean;
}

const CREDENTIAL_SETTINGS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE'];

const MISCONFIGURED: Record<string, (c: S3ErrorContext) => [string, string[]]> = {
  NoSuchBucket: (c) => [`bucket ${c.bucket} does not exist`, ['S3_BUCKET', 'S3_ENDPOINT']],
  AccessDenied: (c) => [`access to bucket ${c.bucket} is denied`, [...CREDENTIAL_SETTINGS, 'the bucket policy']],
  Forbidden: (c) => [`access to bucket ${c.bucket} is denied`, [...CREDENTIAL_SETTINGS, 'the bucket policy']],
  AllAccessDisabled: (c) => [`all access to bucket ${c.bucket} is disabled`, ['S3_BUCKET']],
  AccountProblem: () => ['the storage account is not usable', CREDENTIAL_SETTINGS],
  InvalidAccessKeyId: () => ['the access key is not known to the store', CREDENTIAL_SETTINGS],
  SignatureDoesNotMatch: () => ['the secret key does not match the access key', CREDENTIAL_SETTINGS],
  InvalidToken: () => ['the session token is invalid', [...CREDENTIAL_SETTINGS, 'AWS_SESSION_TOKEN']],
  ExpiredToken: () => ['the session token has expired', [...CREDENTIAL_SETTINGS, 'AWS_SESSION_TOKEN']],
  CredentialsProviderError: () => ['no AWS credentials were found', CREDENTIAL_SETTINGS],
  PermanentRedirect: (c) => [`bucket ${c.bucket} lives in another region or endpoint`, ['S3_REGION', 'S3_ENDPOINT']],
  AuthorizationHeaderMalformed: () => ['the store expects another signing region', ['S3_REGION']],
  InvalidBucketName: (c) => [`bucket name ${c.bucket} is refused by the store`, ['S3_BUCKET', 'S3_FORCE_PATH_STYLE']],
};

const TRANSIENT_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'TimeoutError',
  'RequestTimeTooSkewed',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  hostname?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

export function toS3StoreError(err: unknown, context: S3ErrorContext): unknown {
  if (err instanceof BlobNotFoundError || err instanceof StorageMisconfiguredError || err instanceof StorageUnavailableError) return err;
  const e = (err ?? {}) as SdkError;
  if ((err as Error)?.name === 'AbortError') return err;
  const code = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = `image store could not ${context.action}`;

  // HEAD answers have no body, so their errors are named after the status ("NotFound", "Forbidden").
  if (context.key && (code === 'NoSuchKey' || (code === 'NotFound' && status === 404))) return new BlobNotFoundError(context.key);
  if (code === 'NotFound' && status === 404) return misconfigured(where, MISCONFIGURED.NoSuchBucket!(context), err);
  const known = MISCONFIGURED[code];
  if (known) return misconfigured(where, known(context), err);

  if (TRANSIENT_CODES.has(code) || (status !== undefined && (status >= 500 || status === 429 || status === 408))) {
    return new StorageUnavailableError(`${where}: ${[code, status && `(HTTP ${status})`].filter(Boolean).join(' ')}`, { cause: err });
  }
  if (status === 301 || status === 307) return misconfigured(where, MISCONFIGURED.PermanentRedirect!(context), err);
  if (status === 403) return misconfigured(where, MISCONFIGURED.AccessDenied!(context), err);
  if (status !== undefined && status >= 400) {
    // Any other refusal is a request this store will keep refusing: an incompatible endpoint, region
    // (HEAD answers have no body, so AWS's region mismatch arrives as a bare 400) or addressing.
    return misconfigured(where, [`the store refused the request (${code || 'error'}, HTTP ${status})`, ['S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE']], err);
  }

  const networkCode = findNetworkCode(err);
  // Virtual-hosted addressing asks DNS for <bucket>.<endpoint host>, which self-hosted servers rarely have.
  if (networkCode === 'ENOTFOUND' && context.endpoint && !context.forcePathStyle && new RegExp(`^${escape(context.bucket)}\\.`).test(findHostname(err) ?? '')) {
    return misconfigured(where, [`the host ${findHostname(err)} does not resolve (virtual-hosted bucket addressing)`, ['S3_FORCE_PATH_STYLE', 'S3_ENDPOINT']], err);
  }
  // Without an HTTP answer the store was not reached: network trouble, or a server that is down.
  return new StorageUnavailableError(`${where}: ${networkCode ?? (code || 'no answer')}`, { cause: err });
}

function misconfigured(where: string, [problem, settings]: [string, string[]], cause: unknown): StorageMisconfiguredError {
  return new StorageMisconfiguredError(`${where}: ${problem}`, settings, { cause });
}

function findNetworkCode(err: unknown): string | undefined {
  for (let e = err as SdkError | undefined, depth = 0; e && depth < 5; e = e.cause as SdkError | undefined, depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    if (e.name && NETWORK_CODES.has(e.name)) return e.name;
    // The SDK's retry layer rewraps errors it does not recognise as objects (another realm's, e.g.
    // under jest) as "AWS SDK error wrapper for Error: connect ECONNREFUSED ...": the code survives in the text.
    const inText = typeof e.message === 'string' ? /\b(E[A-Z_]{3,}|UND_ERR_[A-Z_]+)\b/.exec(e.message)?.[1] : undefined;
    if (inText && NETWORK_CODES.has(inText)) return inText;
  }
  return undefined;
}

function findHostname(err: unknown): string | undefined {
  for (let e = err as SdkError | undefined, depth = 0; e && depth < 5; e = e.cause as SdkError | undefined, depth++) {
    if (e.hostname) return e.hostname;
  }
  return undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
