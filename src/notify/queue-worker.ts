// Works through a queue kept in the store (webhooks, notifications): claims due rows under a lease,
// runs up to `concurrency` of them at once, and wakes when poked (this node queued rows), at the next
// retry time, and on a poll for rows other nodes queued or crashed workers left. The poll starts at
// pollMs and doubles while the queue stays empty (or the store fails), up to idlePollMs: an idle
// server otherwise ran a store transaction per queue per second for nothing.
// The rows come from a durable queue (store/durable-queue.ts); what an attempt is, is the caller's.
import type { Logger } from 'pino';

const MAX_DELAY_MS = 60_000;

/** The n-th retry's delay: base doubling per attempt, capped at a minute, with 10% spread. */
export function backoffMs(baseMs: number, attempts: number): number {
  const base = Math.min(Math.max(1, baseMs) * 2 ** Math.min(attempts - 1, 30), MAX_DELAY_MS);
  return Math.round(base * (1 + Math.random() * 0.1)); // spread the retries of one outage
}

/** What the worker uses of a durable queue (store/durable-queue.ts): claiming rows, giving a lease back. */
export interface ClaimQueue<Row> {
  claim(now: number, leaseMs: number, limit: number): Promise<Row[]>;
  reschedule(id: number, nextAttemptAt: number, error: string | null, countAttempt?: boolean): Promise<void>;
}

/** How fast a queue is worked through; a sender's options carry these on to its worker. */
export interface QueueTuning {
  /** Rows attempted at once. Default 16. */
  concurrency?: number;
  /** How often the queue is polled for rows other nodes queued or crashed workers left. Default 1 s. */
  pollMs?: number;
  /** The longest poll interval once the queue is found empty again and again (default 10 s). */
  idlePollMs?: number;
  /** How long a claim holds a row; must outlast any attempt. Default 2 minutes. */
  leaseMs?: number;
}

export interface QueueWorkerOptions<Row> extends QueueTuning {
  /** What the queue holds, for log lines ("webhook", "notification"). */
  name: string;
  logger: Logger;
  queue: ClaimQueue<Row>;
  /** One attempt at a row; it reschedules, completes or fails the row itself. */
  attempt(row: Row): Promise<void>;
}

export class QueueWorker<Row extends { id: number; appId: string }> {
  readonly concurrency: number;
  private readonly pollMs: number;
  private readonly idlePollMs: number;
  /** The poll interval now: pollMs after rows were found, doubling while none are. */
  private nextPollMs: number;
  private readonly leaseMs: number;
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private ticking = false;
  private again = false;
  closing = false;
  private ticked: Promise<void> = Promise.resolve();
  private storeErrorLoggedAt = 0;

  constructor(private readonly o: QueueWorkerOptions<Row>) {
    this.concurrency = o.concurrency ?? 16;
    this.pollMs = o.pollMs ?? 1000;
    this.idlePollMs = Math.max(this.pollMs, o.idlePollMs ?? 10_000);
    this.nextPollMs = this.pollMs;
    this.leaseMs = o.leaseMs ?? 120_000;
  }

  /** Hands a row back to the queue without counting an attempt (claimed or cut short while closing). */
  release(row: Row): Promise<void> {
    return this.o.queue.reschedule(row.id, Date.now(), null, false);
  }

  /** Looks for due rows now (after something was queued). */
  poke(): void {
    this.wakeAt(Date.now());
  }

  wakeAt(at: number): void {
    if (this.closing || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timerAt = Infinity;
        if (this.ticking)
          this.again = true; // the running pass goes round once more
        else this.ticked = this.tick();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    let found = false;
    try {
      do {
        this.again = false;
        const room = this.concurrency - this.inFlight.size;
        if (room <= 0 || this.closing) break;
        const rows = await this.o.queue.claim(Date.now(), this.leaseMs, room);
        for (const row of rows) this.launch(row);
        found ||= rows.length > 0;
        if (rows.length === room) this.again = true;
      } while (this.again && !this.closing);
    } catch (err) {
      const now = Date.now();
      if (now - this.storeErrorLoggedAt > 10_000) {
        this.storeErrorLoggedAt = now;
        this.o.logger.error({ err: (err as Error)?.message ?? String(err) }, `${this.o.name} queue unavailable`);
      }
    } finally {
      this.ticking = false;
    }
    // A queue with rows found or still in flight is busy: it keeps the short poll.
    if (found || this.inFlight.size > 0) this.nextPollMs = this.pollMs;
    else this.nextPollMs = Math.min(this.nextPollMs * 2, this.idlePollMs);
    this.wakeAt(Date.now() + this.nextPollMs);
  }

  private launch(row: Row): void {
    const work = this.closing ? this.release(row) : this.o.attempt(row);
    const done = work
      .catch((err) =>
        this.o.logger.error(
          { err: (err as Error)?.message ?? String(err), appId: row.appId },
          `${this.o.name} bookkeeping failed`,
        ),
      )
      .finally(() => {
        this.inFlight.delete(row.id);
        if (this.inFlight.size === this.concurrency - 1) this.poke(); // there was no room before
      });
    this.inFlight.set(row.id, done);
  }

  /** Rows being worked on right now. */
  get active(): number {
    return this.inFlight.size;
  }

  /** Stops claiming; resolves once the pass under way has ended (attempts may still run). */
  async stop(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.ticked;
  }

  /** Resolves once every attempt in flight has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
