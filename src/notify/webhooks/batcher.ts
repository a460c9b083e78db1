// Gathers an app's webhook events for webhookBatchMs, then writes one delivery per target (and
// per 100 events) into the store's queue in one transaction, before anything is sent.
//
// Cluster (src/cluster/**): channel_occupied/vacated, member_added/removed and subscription_count
// follow cluster-wide counts and are reported once per cluster, so they come from the cluster
// adapter (`cluster` feed): the memory adapter as they happen on its single node, the Redis
// adapter on exactly one node per transition (the node whose write moved the total). client_event
// and cache_miss happen on one node and come from the local hub. Nodes sharing PostgreSQL share the
// queue; claims are leased
// (FOR UPDATE SKIP LOCKED), so each queued webhook is sent by one node.
import type { Logger } from 'pino';
import { type App, type AppSource, DEFAULT_APP_OPTIONS, type WebhookEventName } from '../../apps/app.ts';
import type { HubObserver } from '../../hub/observer.ts';
import type { NewWebhookDelivery, QueueWrites } from '../../store/durable-queue.ts';
import { anyWants, bodiesFor, MAX_EVENTS_PER_BODY, type WebhookEvent } from './format.ts';

type ClusterFed = 'channelOccupied' | 'channelVacated' | 'memberAdded' | 'memberRemoved' | 'subscriptionCount';
export type ClusterWebhookFeed = Required<Pick<HubObserver, ClusterFed>>;

/** Events held per app while the store cannot take them; past it the oldest are dropped (logged). */
const MAX_HELD = 10_000;
const STORE_RETRY_MS = 1000;

interface Pending {
  events: WebhookEvent[];
  timer?: NodeJS.Timeout | NodeJS.Immediate;
}

export interface BatcherOptions {
  queue: Pick<QueueWrites<NewWebhookDelivery>, 'enqueue'>;
  apps: AppSource;
  /** The app as this node already knows it (synchronous), so apps without webhooks cost nothing. */
  peekApp?: (appId: string) => App | undefined;
  logger: Logger;
  /** Called after deliveries were queued (the sender sends them at once). */
  onQueued?: (count: number) => void;
}

export class WebhookBatcher {
  readonly observer: HubObserver;
  readonly cluster: ClusterWebhookFeed;
  private readonly pending = new Map<string, Pending>();
  private readonly flushing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: BatcherOptions) {
    this.cluster = {
      channelOccupied: (appId, channel) => this.add(appId, { name: 'channel_occupied', channel }),
      channelVacated: (appId, channel) => this.add(appId, { name: 'channel_vacated', channel }),
      memberAdded: (appId, channel, userId) => this.add(appId, { name: 'member_added', channel, user_id: userId }),
      memberRemoved: (appId, channel, userId) => this.add(appId, { name: 'member_removed', channel, user_id: userId }),
      subscriptionCount: (appId, channel, count) =>
        this.add(appId, { name: 'subscription_count', channel, subscription_count: count }),
    };
    this.observer = {
      cacheMiss: (appId, channel) => this.add(appId, { name: 'cache_miss', channel }),
      // Checked before the event is built: client events are hot.
      clientEvent: (appId, e) =>
        this.wants(appId, 'client_event') &&
        this.add(appId, {
          name: 'client_event',
          channel: e.channel,
          event: e.event,
          data: e.data,
          socket_id: e.socketId,
          ...(e.userId !== undefined ? { user_id: e.userId } : {}),
        }),
    };
  }

  /** False when closed or when the app (as known here) has no target for this event type. */
  private wants(appId: string, name: WebhookEventName): boolean {
    if (this.closed) return false;
    const known = this.o.peekApp?.(appId);
    return !known || anyWants(known.options.webhooks, name);
  }

  /** Records one event; cheap no-op when the app (as known here) has no target for its type. */
  add(appId: string, event: WebhookEvent): void {
    if (!this.wants(appId, event.name as WebhookEventName)) return;
    const known = this.o.peekApp?.(appId);
    let p = this.pending.get(appId);
    if (!p) {
      p = { events: [] };
      this.pending.set(appId, p);
    }
    p.events.push(event);
    if (p.events.length >= MAX_EVENTS_PER_BODY) this.flushSoon(appId, p, 0);
    else if (!p.timer) this.flushSoon(appId, p, known?.options.webhookBatchMs ?? DEFAULT_APP_OPTIONS.webhookBatchMs);
  }

  private flushSoon(appId: string, p: Pending, ms: number): void {
    this.clear(p);
    const run = () => {
      p.timer = undefined;
      this.track(this.flush(appId));
    };
    // setImmediate still gathers one tick's events; timers would round 0 up to 1 ms.
    p.timer = ms > 0 ? setTimeout(run, ms) : setImmediate(run);
  }

  private clear(p: Pending): void {
    if (!p.timer) return;
    clearTimeout(p.timer as NodeJS.Timeout);
    clearImmediate(p.timer as NodeJS.Immediate);
    p.timer = undefined;
  }

  private track(done: Promise<void>): void {
    this.flushing.add(done);
    void done.catch(() => undefined).finally(() => this.flushing.delete(done));
  }

  private async flush(appId: string): Promise<void> {
    const p = this.pending.get(appId);
    if (!p || p.events.length === 0) return;
    const events = p.events.splice(0);
    if (!p.timer) this.pending.delete(appId);
    let app: App | undefined;
    try {
      app = await this.o.apps.findById(appId);
    } catch (err) {
      return this.hold(appId, events, err);
    }
    if (!app) return; // app deleted meanwhile: nobody to notify
    const now = Date.now();
    const rows: NewWebhookDelivery[] = [];
    for (const target of app.options.webhooks ?? []) {
      for (const body of bodiesFor(target, events, now))
        rows.push({ appId, url: target.url, body, createdAt: now, nextAttemptAt: now });
    }
    if (rows.length === 0) return;
    try {
      await this.o.queue.enqueue(rows);
    } catch (err) {
      return this.hold(appId, events, err);
    }
    this.o.onQueued?.(rows.length);
  }

  /** The store refused: keep the events (bounded) and try again shortly. */
  private hold(appId: string, events: WebhookEvent[], err: unknown): void {
    let p = this.pending.get(appId);
    if (!p) {
      p = { events: [] };
      this.pending.set(appId, p);
    }
    p.events.unshift(...events);
    const dropped = p.events.length - MAX_HELD;
    if (dropped > 0) p.events.splice(0, dropped);
    this.o.logger.error(
      { appId, held: p.events.length, dropped: Math.max(0, dropped), err: (err as Error)?.message ?? String(err) },
      'webhook events could not be queued; retrying',
    );
    if (this.closed) return;
    this.clear(p);
    const retry = p;
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      this.track(this.flush(appId));
    }, STORE_RETRY_MS);
  }

  /** Events waiting for their batch window, all apps. */
  get held(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.events.length;
    return n;
  }

  /** Queues whatever is held now (shutdown), then stops taking events. */
  async close(): Promise<void> {
    for (const p of this.pending.values()) this.clear(p);
    await Promise.allSettled([...this.flushing]);
    await Promise.allSettled([...this.pending.keys()].map((appId) => this.flush(appId)));
    this.closed = true;
    for (const p of this.pending.values()) this.clear(p);
    this.pending.clear();
  }
}
