/**
 * What a database failure means for the caller, on PostgreSQL and SQLite alike: worth retrying
 * (the server is unreachable, busy or restarting) or not (the row itself is wrong).
 */
import { ConceptValidationError, StorageUnavailableError, withOperatorDetail } from '../../errors';

/** Network-level failures to reach the database server. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL SQLSTATEs worth retrying: 08 connection exception, 53 insufficient resources (53300 too
 * many connections), 58 system/IO error, 57P0x server shutting down or starting, 40001/40P01
 * serialisation failure and deadlock, 55P03 lock not available, 57014 statement timeout/cancel.
 */
const TRANSIENT_PG_CLASSES = ['08', '53', '58'];
const TRANSIENT_PG_STATES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '55P03', '57014']);
/** 22 data exception, 23 integrity constraint violation: the row itself is wrong. */
const PERMANENT_PG_CLASSES = ['22', '23'];
const TRANSIENT_SQLITE_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM'];
const PERMANENT_SQLITE_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG'];
/** pg reports a dropped or timed-out connection without a code. */
const TRANSIENT_MESSAGES = /Connection terminated|connection error|not queryable|timeout expired|Timeout acquiring a connection/i;

type Verdict = 'transient' | 'permanent' | 'unknown';

/**
 * Database trouble becomes StorageUnavailableError (retry) or ConceptValidationError (do not);
 * anything unrecognised — usually a bug — is passed on unchanged.
 */
export function classifyDatabaseError(err: unknown, action: string): unknown {
  if (err instanceof StorageUnavailableError || err instanceof ConceptValidationError) return err;
  const verdict = judge(err);
  const reason = err instanceof Error ? err.message : String(err);
  // A connection failure's message names the database's address: that is for the operator's log only.
  if (verdict === 'transient') {
    const code = (err as { code?: unknown } | null)?.code;
    return withOperatorDetail(
      new StorageUnavailableError(`could not ${action}: the database is unavailable${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err }),
      reason,
    );
  }
  if (verdict === 'permanent') return new ConceptValidationError(`could not ${action}: ${reason}`, { cause: err });
  return err;
}

function judge(err: unknown): Verdict {
  if (typeof err !== 'object' || err === null) return 'unknown';
  const { code, name, message, errors } = err as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) return 'transient';
    if (code.startsWith('SQLITE_')) {
      if (TRANSIENT_SQLITE_CODES.some((c) => code.startsWith(c))) return 'transient';
      if (PERMANENT_SQLITE_CODES.some((c) => code.startsWith(c))) return 'permanent';
    } else if (/^[0-9A-Z]{5}$/.test(code)) {
      if (TRANSIENT_PG_STATES.has(code) || TRANSIENT_PG_CLASSES.includes(code.slice(0, 2))) return 'transient';
      if (PERMANENT_PG_CLASSES.includes(code.slice(0, 2))) return 'permanent';
    }
  }
  if (name === 'KnexTimeoutError') return 'transient';
  if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return 'transient';
  // Connecting to a host name with several addresses fails with one AggregateError over all of them.
  if (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => judge(inner) === 'transient')) {
    return 'transient';
  }
  return 'unknown';
}
