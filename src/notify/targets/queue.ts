// Sends queued notifications through the shared QueueWorker (as notify/webhooks/sender.ts does
// webhooks): one attempt per claimed row, exponential back-off (the app's webhookRetryMs, doubling, capped at a
// minute) until webhookRetryForMs after queueing. Dead targets (Web Push 404/410, APNs Unregistered)
// are removed from every channel; final refusals are logged and dropped, and so are retries of a
// target removed meanwhile.
import type { Logger } from 'pino';
import type { AppSource } from '../../apps/app.ts';
import type { DurableQueue, NewNotification, NotificationDelivery } from '../../store/durable-queue.ts';
import type { TargetsStore } from '../../store/targets-store.ts';
import { backoffMs, QueueWorker, type QueueTuning } from '../queue-worker.ts';
import { safeUrl } from '../webhooks/format.ts';
import type { Deliverer } from './deliver.ts';
import type { Outcome } from './outcome.ts';
import type { NotifyMessage } from './targets.ts';

export interface QueueSenderOptions extends QueueTuning {
  queue: DurableQueue<NewNotification>;
  /** Where a retry checks its target is still registered, and dead targets are removed. */
  targets: Pick<TargetsStore, 'list' | 'remove'>;
  apps: AppSource;
  deliverer: Deliverer;
  logger: Logger;
  /** Told of every finished attempt (tests, metrics). */
  onAttempt?: (row: NotificationDelivery, outcome: Outcome) => void;
}

/** A target's address fit for logs (no URL query or credentials; tokens shortened). */
export function logAddress(kind: string, address: string): string {
  if (kind === 'web_push' || kind === 'webhook') return safeUrl(address);
  if (kind === 'apns') return `${address.slice(0, 8)}…`;
  return address;
}

export class QueueSender {
  private readonly worker: QueueWorker<NotificationDelivery>;

  constructor(private readonly o: QueueSenderOptions) {
    this.worker = new QueueWorker({ ...o, name: 'notification', attempt: (row) => this.attempt(row) });
  }

  start(): void {
    this.worker.poke();
  }

  /** Something was queued: look now. */
  poke(): void {
    this.worker.poke();
  }

  private async attempt(row: NotificationDelivery): Promise<void> {
    const { queue, logger } = this.o;
    const app = await this.o.apps.findById(row.appId);
    let message: NotifyMessage | undefined;
    try {
      message = JSON.parse(row.body) as NotifyMessage;
    } catch {
      message = undefined;
    }
    if (!app || !message) {
      logger.warn(
        { appId: row.appId, id: row.id },
        app ? 'notification dropped: unreadable body' : 'notification dropped: its app no longer exists',
      );
      return queue.done(row.id);
    }
    // A retry goes only to a target still registered: removing it (DELETE …/targets) ends its queue.
    // The first attempt skips the look-up; the target was there when the row was queued.
    if (row.attempts > 0 && !(await this.stillRegistered(row))) {
      logger.info(
        { appId: row.appId, kind: row.kind, to: logAddress(row.kind, row.address), attempts: row.attempts },
        'notification dropped: its target was removed',
      );
      return queue.done(row.id);
    }
    const outcome = await this.o.deliverer.deliver(app, row.kind, row.target, message);
    // Cut short by a shutdown: the lease goes back without counting an attempt.
    if (this.worker.closing && !outcome.ok && outcome.retry) return this.worker.release(row);
    this.o.onAttempt?.(row, outcome);
    if (outcome.ok) return queue.done(row.id);
    const attempts = row.attempts + 1;
    const fields = {
      appId: row.appId,
      kind: row.kind,
      to: logAddress(row.kind, row.address),
      attempts,
      error: outcome.error,
    };
    if (outcome.gone) {
      const removed = await this.o.targets.remove(row.appId, { kind: row.kind, address: row.address });
      logger.info({ ...fields, removed: removed.length }, 'notification target is gone: removed');
      return queue.done(row.id);
    }
    const now = Date.now();
    if (!outcome.retry || now - row.createdAt >= app.options.webhookRetryForMs) {
      logger.error(fields, outcome.retry ? 'notification failed: giving up' : 'notification refused: dropped');
      return queue.done(row.id);
    }
    const delay = Math.max(backoffMs(app.options.webhookRetryMs, attempts), outcome.retryAfterMs ?? 0);
    logger.warn({ ...fields, retryInMs: delay }, 'notification attempt failed; will retry');
    await queue.reschedule(row.id, now + delay, outcome.error);
    this.worker.wakeAt(now + delay);
  }

  private async stillRegistered(row: NotificationDelivery): Promise<boolean> {
    const found = await this.o.targets.list(row.appId, { kind: row.kind, address: row.address });
    return found.length > 0;
  }

  get active(): number {
    return this.worker.active;
  }

  /** Stops claiming and waits for attempts in flight (the deliverer's deadlines bound them). */
  async close(): Promise<void> {
    await this.worker.stop();
    await this.worker.settled();
  }
}
