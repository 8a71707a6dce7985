/**
 * The answer to an admitted start, whichever route started it (a URL or upload, or a stored concept):
 * the audit line, the replay header, 202 with the refinement's links and, on the request that
 * registered a callback URL, its signing secret.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditTo } from '../observability/audit';
import type { Admitted } from './admission';
import { refinementLinks } from './views';

export function replyStarted(request: FastifyRequest, reply: FastifyReply, admitted: Admitted, details: Record<string, unknown> = {}) {
  auditTo(request.log)('refinement.started', {
    actor: request.user.id,
    via: request.user.via,
    taskId: admitted.taskId,
    replayed: admitted.replayed,
    ...details,
  });
  if (admitted.replayed) reply.header('idempotent-replayed', 'true');
  const links = refinementLinks(admitted.taskId);
  return reply
    .code(202)
    .header('location', links.self)
    .send({
      taskId: admitted.taskId,
      status: admitted.status,
      links,
      ...(admitted.callbackSecret ? { callbackSecret: admitted.callbackSecret } : {}),
      ...(admitted.callbackWebhookId ? { callbackWebhookId: admitted.callbackWebhookId } : {}),
    });
}
