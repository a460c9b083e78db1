// Sends queued notifications the way notify/webhooks/sender.ts sends webhooks: claims due rows under
// a lease, one attempt each, exponential back-off (the app's webhookRetryMs, doubling, capped at a
// minute) until webhookRetryForMs after queueing. Dead targets (Web Push 404/410, APNs Unregistered)
// are removed from every channel; final refusals are logged and dropped.
import type { Logger } from 'pino';
import type { AppSource } from '../../apps/app.ts';
import type { NotificationDelivery, Store } from '../../store/store.ts';
import { safeUrl } from '../webhooks/format.ts';
import type { Deliverer } from './deliver.ts';
import type { Outcome } from './outcome.ts';
import type { NotifyMessage } from './targets.ts';

export interface QueueSenderOptions {
  store: Store;
  apps: AppSource;
  deliverer: Deliverer;
  logger: Logger;
  concurrency?: number;
  pollMs?: number;
  leaseMs?: number;
  /** Told of every finished attempt (tests, metrics). */
  onAttempt?: (row: NotificationDelivery, outcome: Outcome) => void;
}

const MAX_DELAY_MS = 60_000;

/** The n-th retry's delay: base doubling per attempt, capped, with 10% spread. */
export function backoffMs(baseMs: number, attempts: number): number {
  const base = Math.min(Math.max(1, baseMs) * 2 ** Math.min(attempts - 1, 30), MAX_DELAY_MS);
  return Math.round(base * (1 + Math.random() * 0.1));
}

/** A target's address fit for logs (no URL query or credentials; tokens shortened). */
export function logAddress(kind: string, address: string): string {
  if (kind === 'web_push' || kind === 'webhook') return safeUrl(address);
  if (kind === 'apns') return `${address.slice(0, 8)}…`;
  return address;
}

export class QueueSender {
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private ticking = false;
  private again = false;
  private closing = false;
  private ticked: Promise<void> = Promise.resolve();
  private storeErrorLoggedAt = 0;

  constructor(private readonly o: QueueSenderOptions) {
    this.concurrency = o.concurrency ?? 16;
    this.pollMs = o.pollMs ?? 1000;
    this.leaseMs = o.leaseMs ?? 120_000;
  }

  start(): void {
    this.poke();
  }

  /** Something was queued: look now. */
  poke(): void {
    this.wakeAt(Date.now());
  }

  private wakeAt(at: number): void {
    if (this.closing || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      if (this.ticking) this.again = true;
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
        const rows = await this.o.store.claimNotifications(Date.now(), this.leaseMs, room);
        for (const row of rows) this.launch(row);
        if (rows.length === room) this.again = true;
      } while (this.again && !this.closing);
    } catch (err) {
      const now = Date.now();
      if (now - this.storeErrorLoggedAt > 10_000) {
        this.storeErrorLoggedAt = now;
        this.o.logger.error({ err: (err as Error)?.message ?? String(err) }, 'notification queue unavailable');
      }
    } finally {
      this.ticking = false;
    }
    this.wakeAt(Date.now() + this.pollMs);
  }

  private launch(row: NotificationDelivery): void {
    const work = this.closing ? this.o.store.rescheduleNotification(row.id, Date.now(), null, false) : this.attempt(row);
    const done = work
      .catch((err) => this.o.logger.error({ err: (err as Error)?.message ?? String(err), appId: row.appId }, 'notification bookkeeping failed'))
      .finally(() => {
        this.inFlight.delete(row.id);
        if (this.inFlight.size === this.concurrency - 1) this.poke();
      });
    this.inFlight.set(row.id, done);
  }

  private async attempt(row: NotificationDelivery): Promise<void> {
    const { store, logger } = this.o;
    const app = await this.o.apps.findById(row.appId);
    let message: NotifyMessage | undefined;
    try {
      message = JSON.parse(row.body) as NotifyMessage;
    } catch {
      message = undefined;
    }
    if (!app || !message) {
      logger.warn({ appId: row.appId, id: row.id }, app ? 'notification dropped: unreadable body' : 'notification dropped: its app no longer exists');
      return store.notificationDone(row.id);
    }
    const outcome = await this.o.deliverer.deliver(app, row.kind, row.target, message);
    if (this.closing && !outcome.ok && outcome.retry) return store.rescheduleNotification(row.id, Date.now(), null, false); // cut short
    this.o.onAttempt?.(row, outcome);
    if (outcome.ok) return store.notificationDone(row.id);
    const attempts = row.attempts + 1;
    const fields = { appId: row.appId, kind: row.kind, to: logAddress(row.kind, row.address), attempts, error: outcome.error };
    if (outcome.gone) {
      const removed = await store.removeTargets(row.appId, { kind: row.kind, address: row.address });
      logger.info({ ...fields, removed: removed.length }, 'notification target is gone: removed');
      return store.notificationDone(row.id);
    }
    const now = Date.now();
    if (!outcome.retry || now - row.createdAt >= app.options.webhookRetryForMs) {
      logger.error(fields, outcome.retry ? 'notification failed: giving up' : 'notification refused: dropped');
      return store.notificationDone(row.id);
    }
    const delay = Math.max(backoffMs(app.options.webhookRetryMs, attempts), outcome.retryAfterMs ?? 0);
    logger.warn({ ...fields, retryInMs: delay }, 'notification attempt failed; will retry');
    await store.rescheduleNotification(row.id, now + delay, outcome.error);
    this.wakeAt(now + delay);
  }

  get active(): number {
    return this.inFlight.size;
  }

  /** Stops claiming and waits for attempts in flight (the deliverer's deadlines bound them). */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.ticked;
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
