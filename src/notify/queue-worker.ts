// Works through a queue kept in the store (webhooks, notifications): claims due rows under a lease,
// runs up to `concurrency` of them at once, and wakes at the next retry time or every pollMs (for
// rows other nodes queued or crashed workers left). What a claim and an attempt are is the caller's.
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
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      if (this.ticking) this.again = true; // the running pass goes round once more
      else this.ticked = this.tick();
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.again = false;
        const room = this.concurrency - this.inFlight.size;
        if (room <= 0 || this.closing) break;
        const rows = await this.o.claim(Date.now(), this.leaseMs, room);
        for (const row of rows) this.launch(row);
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
    this.wakeAt(Date.now() + this.pollMs);
  }

  private launch(row: Row): void {
    const work = this.closing ? this.o.release(row) : this.o.attempt(row);
    const done = work
      .catch((err) => this.o.logger.error({ err: (err as Error)?.message ?? String(err), appId: row.appId }, `${this.o.name} bookkeeping failed`))
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
