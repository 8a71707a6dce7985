/**
 * Event streams without fan-out: however many streams watch one refinement, one poll loop
 * (RefinementClient.watch) queries it, and every stream gets what that loop sees. The loop starts
 * with the first stream and stops when the last one leaves or the refinement ends. Streams are also
 * counted per user, so one user cannot hold an unbounded number open (limit per gateway instance).
 */
import type { RefinementClient } from '../client/refinements';
import type { RefinementProgress } from '../workflows/types';

type Listener = (progress: RefinementProgress) => void;

interface Poll {
  listeners: Set<Listener>;
  /** The last progress seen, handed to a stream that joins a running loop. */
  last?: RefinementProgress;
  stop: AbortController;
  /** Resolves with the final progress; rejects if the loop failed or was stopped. */
  done: Promise<RefinementProgress>;
}

export class ProgressFeed {
  private readonly polls = new Map<string, Poll>();
  private readonly streamsPerUser = new Map<string, number>();

  constructor(
    private readonly refinements: RefinementClient,
    private readonly maxStreamsPerUser: number,
    private readonly intervalMs = 250,
    private readonly maxIntervalMs = 1_000,
  ) {}

  /** Takes a stream slot for the user; false when they already hold the maximum. Release with releaseStream. */
  acquireStream(userId: string): boolean {
    const held = this.streamsPerUser.get(userId) ?? 0;
    if (held >= this.maxStreamsPerUser) return false;
    this.streamsPerUser.set(userId, held + 1);
    return true;
  }

  releaseStream(userId: string): void {
    const held = (this.streamsPerUser.get(userId) ?? 1) - 1;
    if (held <= 0) this.streamsPerUser.delete(userId);
    else this.streamsPerUser.set(userId, held);
  }

  /**
   * Calls `onChange` with every change of the refinement's progress until it ends (resolving with
   * the final progress) or `signal` aborts (rejecting with its reason). `seen` is progress the caller
   * has just read: a new poll starts from it instead of reading it again.
   */
  async watch(taskId: string, onChange: Listener, signal: AbortSignal, seen?: RefinementProgress): Promise<RefinementProgress> {
    signal.throwIfAborted();
    const poll = this.polls.get(taskId) ?? this.startPoll(taskId, seen);
    poll.listeners.add(onChange);
    if (poll.last) onChange(poll.last);
    const left = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    try {
      return await Promise.race([poll.done, left]);
    } finally {
      poll.listeners.delete(onChange);
      // The last stream left: nobody needs this loop any more.
      if (poll.listeners.size === 0 && this.polls.get(taskId) === poll) {
        this.polls.delete(taskId);
        poll.stop.abort(new Error('no stream watches this refinement any more'));
      }
    }
  }

  /** How many refinements are being polled now (for tests and metrics). */
  get activePolls(): number {
    return this.polls.size;
  }

  private startPoll(taskId: string, seen: RefinementProgress | undefined): Poll {
    const stop = new AbortController();
    const poll: Poll = { listeners: new Set(), stop, done: Promise.resolve(undefined as never) };
    poll.done = this.refinements
      .watch(
        taskId,
        (progress) => {
          poll.last = progress;
          for (const listener of poll.listeners) listener(progress);
        },
        { intervalMs: this.intervalMs, maxIntervalMs: this.maxIntervalMs, signal: stop.signal, initial: seen },
      )
      .finally(() => {
        if (this.polls.get(taskId) === poll) this.polls.delete(taskId);
      });
    // A loop stopped because its streams left has no one to report to.
    poll.done.catch(() => undefined);
    this.polls.set(taskId, poll);
    return poll;
  }
}
