// Group commit: many concurrent appends share one durable transaction. A synced commit costs about
// the same for 1 event as for 500, so batching is what keeps throughput up with synchronous = FULL.
import type { EventLogWrites, NewEvent, StoredEvent } from './event-log.ts';

export interface GroupCommitOptions {
  /** Most events per append call. Default 500. */
  maxBatch?: number;
}

interface Pending {
  event: NewEvent;
  resolve: (stored: StoredEvent) => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter {
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private inFlight = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly log: Pick<EventLogWrites, 'append'>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 500));
  }

  /** Resolves with the event's StoredEvent once its batch is committed; rejects with the batch's error. */
  append(event: NewEvent): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.schedule();
    });
  }

  /** Events queued and not yet handed to the store. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once everything appended so far is settled (for shutdown). */
  drain(): Promise<void> {
    if (!this.inFlight && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    // While a commit is in flight, the queue just grows; the commit's end starts the next batch.
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the current tick's microtasks, so a burst in one tick is one batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.commit();
    });
  }

  private async commit(): Promise<void> {
    if (this.inFlight) return;
    if (this.queue.length === 0) {
      this.settleIdle();
      return;
    }
    this.inFlight = true;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const stored = await this.log.append(batch.map((p) => p.event));
      if (stored.length !== batch.length) {
        throw new Error(`append returned ${stored.length} events for ${batch.length}`);
      }
      batch.forEach((p, i) => p.resolve(stored[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight = false;
    }
    // Whatever queued during the commit goes next, at once: it has already waited one commit.
    if (this.queue.length > 0) void this.commit();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.scheduled || this.inFlight || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
