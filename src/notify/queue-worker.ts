// Works through a queue kept in the store (webhooks, notifications): claims due rows under a lease,
// runs up to `concurrency` of them at once, and wakes when poked (this node queued rows), at the next
// retry time, and on a poll for rows other nodes queued or crashed workers left. The poll starts at
// pollMs and doubles while the queue stays empty (or the store fails), up to idlePollMs: an idle
// server otherwise ran a store transaction per queue per second for nothing.
// What a claim and an attempt are is the caller's.
import type { Logger } from 'pino';

const MAX_DELAY_MS = 60_000;

/** The n-th retry's delay: base doubling per attempt, capped at a minute, with 10% spread. */
export function backoffMs(baseMs: number, attempts: number): number {
  const base = Math.min(Math.max(1, baseMs) * 2 ** Math.min(attempts - 1, 30), MAX_DELAY_MS);
  return Math.round(base * (1 + Math.random() * 0.1)); // spread the retries of one outage
}

export interface QueueWorkerOptions<Row> {
  /** What the queue holds, for log lines ("webhook", "notification"). */
  name: string;
  logger: Logger;
  concurrency?: number;
  pollMs?: number;
  /** The longest poll interval once the queue is found empty again and again (default 10 s). */
  idlePollMs?: number;
  /** How long a claim holds a row; must outlast any attempt. */
  leaseMs?: number;
  claim(now: number, leaseMs: number, limit: number): Promise<Row[]>;
  /** One attempt at a row; it reschedules, completes or fails the row itself. */
  attempt(row: Row): Promise<void>;
  /** Hands a row claimed while closing straight back. */
  release(row: Row): Promise<void>;
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
        const rows = await this.o.claim(Date.now(), this.leaseMs, room);
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
    const work = this.closing ? this.o.release(row) : this.o.attempt(row);
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
