// Notification targets as one unit for server.ts: the fan-out (hub reports → queue), the queue
// sender (queue → Web Push, APNs, SMTP, webhooks) and direct messaging (no queue, no channels).
import type { Logger } from 'pino';
import type { App, AppSource } from '../../apps/app.ts';
import type { HubObserver } from '../../hub/observer.ts';
import type { DurableQueue, NewNotification } from '../../store/durable-queue.ts';
import type { TargetsStore } from '../../store/targets-store.ts';
import { Deliverer } from './deliver.ts';
import { Fanout } from './fanout.ts';
import type { Outcome } from './outcome.ts';
import { QueueSender } from './queue.ts';
import type { NotifyMessage, ParsedTarget } from './targets.ts';

export interface NotifierOptions {
  targets: TargetsStore;
  queue: DurableQueue<NewNotification>;
  apps: AppSource;
  logger: Logger;
  /** Global SMTP_URL. */
  smtpUrl?: string;
  /** Extra trusted CA certificates for HTTPS push services and APNs (tests). */
  ca?: string | Buffer;
  pollMs?: number;
  /** Told of every queued attempt's outcome (tests, metrics). */
  onAttempt?: (row: { appId: string; kind: string; address: string }, outcome: Outcome) => void;
}

export interface DirectResult {
  kind: string;
  target: string;
  success: boolean;
  error?: string;
  status?: number;
  /** The target no longer exists (Web Push 404/410, APNs Unregistered). */
  gone?: boolean;
}

/** Sends at once to this many targets of one direct message. */
const DIRECT_CONCURRENCY = 8;
const CLOSE_GRACE_MS = 500;

export class Notifier {
  readonly fanout: Fanout;
  readonly queue: QueueSender;
  private readonly deliverer: Deliverer;

  constructor(o: NotifierOptions) {
    this.deliverer = new Deliverer({ smtpUrl: o.smtpUrl, ca: o.ca });
    this.queue = new QueueSender({
      queue: o.queue,
      targets: o.targets,
      apps: o.apps,
      deliverer: this.deliverer,
      logger: o.logger,
      pollMs: o.pollMs,
      onAttempt: o.onAttempt,
    });
    this.fanout = new Fanout({
      targets: o.targets,
      queue: o.queue,
      logger: o.logger,
      onQueued: () => this.queue.poke(),
    });
  }

  /** What the hub feeds (after each trigger and client event went out). */
  get observer(): HubObserver {
    return this.fanout.observer;
  }

  start(): void {
    this.queue.start();
  }

  /** Sends one message to each target now, in parallel (bounded); one result per target, in order. */
  async direct(app: App, message: NotifyMessage, targets: ParsedTarget[]): Promise<DirectResult[]> {
    const results: DirectResult[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        const t = targets[i]!;
        const r = await this.deliverer.deliver(app, t.kind, t.target, message);
        results[i] = r.ok
          ? { kind: t.kind, target: t.address, success: true, ...(r.status ? { status: r.status } : {}) }
          : {
              kind: t.kind,
              target: t.address,
              success: false,
              error: r.error,
              ...(r.status ? { status: r.status } : {}),
              ...(r.gone ? { gone: true } : {}),
            };
      }
    };
    await Promise.all(Array.from({ length: Math.min(DIRECT_CONCURRENCY, targets.length) }, worker));
    return results;
  }

  /** Queues the reports held, lets attempts in flight finish briefly, then cuts them (they stay queued). */
  async close(): Promise<void> {
    await this.fanout.close();
    const closing = this.queue.close();
    await Promise.race([closing, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
    this.deliverer.close();
    await closing;
  }
}
