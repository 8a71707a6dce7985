/**
 * The audit trail: one structured log line per security-relevant action, `{"audit":true,
 * "action":"…", "actor":…}` at level info, so a log pipeline can route them apart with one filter.
 * Fields say who did what to which object and why; never a credential, a token or a prompt.
 */
export type AuditAction =
  | 'refinement.started'
  | 'refinement.cancel_requested'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'authentication.refused'
  | 'user.erasure_requested';

/** The part of a pino (or fastify request) logger the audit trail needs. */
export interface AuditSink {
  info(fields: Record<string, unknown>, message: string): void;
}

export type Audit = (action: AuditAction, fields: Record<string, unknown>) => void;

export function auditTo(logger: AuditSink): Audit {
  return (action, fields) => logger.info({ audit: true, action, ...fields }, `audit ${action}`);
}
