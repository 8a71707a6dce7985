/**
 * The outside of the benchmark: a client of the gateway as the web page is one. It starts a refinement
 * (a JSON body naming a URL, or a multipart upload of the image) and follows it on the SSE route until
 * its `end` event; the latency is from the start request to that event.
 */
import { mintDevToken } from '../../src/gateway/auth/dev-token';
import { DEV_JWT_SECRET } from '../../src/config/development-secrets';

const FIELDS = {
  refinementPrompt: 'Make it more autumn-themed with orange and red',
  logoDescription: 'A minimalist fox',
  themeDescription: 'Modern tech with autumn colors',
};

export type Origin = { kind: 'url'; url: string } | { kind: 'upload'; png: Buffer };

export class GatewayDriver {
  private constructor(
    private readonly origin: string,
    private readonly tokens: string[],
  ) {}

  /**
   * One user per slot in flight: the gateway caps each user's running refinements
   * (GATEWAY_MAX_RUNNING_PER_USER), and a deployment's load comes from many users.
   */
  static async create(origin: string, users: number): Promise<GatewayDriver> {
    const auth = { jwtSecret: DEV_JWT_SECRET, issuer: 'refinery-local', audience: 'refinery' } as Parameters<typeof mintDevToken>[0];
    const tokens = await Promise.all(Array.from({ length: users }, (_, i) => mintDevToken(auth, { userId: `bench-user-${i}`, ttlSeconds: 6 * 3600 })));
    return new GatewayDriver(origin, tokens);
  }

  /** Event streams that broke off before their `end` event and were followed again, as the web page does. */
  reconnects = 0;
  /** What the first broken stream said. */
  firstBreak?: string;

  /** One refinement as user `slot`, to its end; throws unless it completed. */
  async refine(slot: number, source: Origin): Promise<void> {
    const authorization = `Bearer ${this.tokens[slot % this.tokens.length]}`;
    let started: Response;
    if (source.kind === 'url') {
      started = await fetch(`${this.origin}/v1/refinements`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ...FIELDS, originalImageUrl: source.url }),
      });
    } else {
      const form = new FormData();
      for (const [name, value] of Object.entries(FIELDS)) form.set(name, value);
      form.set('image', new Blob([new Uint8Array(source.png)], { type: 'image/png' }), 'original.png');
      started = await fetch(`${this.origin}/v1/refinements`, { method: 'POST', headers: { authorization }, body: form });
    }
    if (started.status !== 202) throw new Error(`start answered ${started.status}: ${await started.text()}`);
    const { taskId } = (await started.json()) as { taskId: string };
    for (let attempt = 0; ; attempt++) {
      const events = await fetch(`${this.origin}/v1/refinements/${encodeURIComponent(taskId)}/events`, { headers: { authorization } });
      if (!events.ok) throw new Error(`events of ${taskId} answered ${events.status}: ${await events.text()}`);
      const stream = await events.text();
      const end = eventData(stream, 'end') as { status: string } | undefined;
      if (end) {
        if (end.status !== 'completed') throw new Error(`refinement ${taskId} ended as ${end.status}`);
        return;
      }
      this.reconnects++;
      this.firstBreak ??= JSON.stringify(eventData(stream, 'error') ?? 'the stream ended without an end event');
      if (attempt >= MAX_RECONNECTS) throw new Error(`the event stream of ${taskId} broke off ${attempt + 1} times`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const MAX_RECONNECTS = 20;

/** The data of the last event of this name in an SSE stream. */
function eventData(stream: string, name: string): unknown {
  const block = stream
    .split('\n\n')
    .reverse()
    .find((b) => b.includes(`event: ${name}\n`));
  const data = block
    ?.split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .join('\n');
  return data ? JSON.parse(data) : undefined;
}
