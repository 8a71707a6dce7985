/**
 * The dev server's own request counters (its Prometheus `/metrics`): how many heartbeats it recorded
 * is a count, which CPU contention on a shared machine does not blur the way CPU time is blurred.
 */
import type { DevServer } from '../../test/harness/dev-server';

/** RecordActivityTaskHeartbeat requests the server's frontend has answered since it started. */
export async function recordedHeartbeats(server: DevServer): Promise<number> {
  if (!server.metricsPort) throw new Error('the dev server was started without metrics');
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    // One series per namespace; the history service counts the same calls again, so the frontend only.
    if (
      line.startsWith('service_requests{') &&
      line.includes('operation="RecordActivityTaskHeartbeat"') &&
      line.includes('service_name="frontend"')
    ) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
