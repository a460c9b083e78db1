// Webhooks as one unit for server.ts: the batcher (hub events → queue) and the sender (queue → HTTP).
import type { Logger } from 'pino';
import type { App, AppSource } from '../../apps/app.ts';
import type { HubObserver } from '../../hub/observer.ts';
import type { DurableQueue, NewWebhookDelivery } from '../../store/durable-queue.ts';
import { type ClusterWebhookFeed, WebhookBatcher } from './batcher.ts';
import { type WebhookMetrics, WebhookSender } from './sender.ts';

export interface WebhooksOptions {
  queue: DurableQueue<NewWebhookDelivery>;
  apps: AppSource;
  logger: Logger;
  metrics?: WebhookMetrics;
  peekApp?: (appId: string) => App | undefined;
  pollMs?: number;
}

export class Webhooks {
  readonly batcher: WebhookBatcher;
  readonly sender: WebhookSender;

  constructor(o: WebhooksOptions) {
    this.sender = new WebhookSender({
      queue: o.queue,
      apps: o.apps,
      logger: o.logger,
      metrics: o.metrics,
      pollMs: o.pollMs,
    });
    this.batcher = new WebhookBatcher({
      queue: o.queue,
      apps: o.apps,
      logger: o.logger,
      peekApp: o.peekApp,
      onQueued: () => this.sender.poke(),
    });
  }

  /** What the hub feeds. */
  get observer(): HubObserver {
    return this.batcher.observer;
  }

  /** What the cluster adapter feeds: transitions decided once per cluster (see batcher.ts). */
  get cluster(): ClusterWebhookFeed {
    return this.batcher.cluster;
  }

  /** Starts sending, including whatever an earlier run left in the queue. */
  start(): void {
    this.sender.start();
  }

  /** Queues held events, then stops the sender (in-flight deliveries keep their place in the queue). */
  async close(): Promise<void> {
    await this.batcher.close();
    await this.sender.close();
  }
}
