/**
 * The SSE stream of one refinement, on the gateway's shared poll of it (ProgressFeed): a `progress` event whenever the
 * stage, attempt or failure changes, then an `end` event with the final state, then the stream
 * closes. A few lines on the raw response do what an SSE plugin would.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context';
import type { OwnershipRow } from '../ownership';

/** Comment lines this often keep proxies and load balancers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export async function streamRefinementEvents(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply, row: OwnershipRow): Promise<void> {
  const taskId = row.task_id;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx would otherwise buffer the stream and deliver it all at the end.
    'x-accel-buffering': 'no',
  });
  let eventId = 0;
  const send = (event: string, data: unknown) => {
    res.write(`id: ${++eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const stop = new AbortController();
  request.raw.on('close', () => stop.abort());
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  try {
    const last = await ctx.progressFeed.watch(taskId, (progress) => send('progress', ctx.views.refinement(progress, row)), stop.signal);
    await ctx.statusCache.record(last);
    send('end', ctx.views.refinement(last, row));
  } catch (err) {
    if (!stop.signal.aborted) {
      request.log.error({ err, taskId }, 'refinement event stream failed');
      send('error', { title: 'event stream failed', detail: 'reconnect to resume' });
    }
  } finally {
    clearInterval(keepalive);
    res.end();
  }
}
