// What open-store.ts returns: one object per role, plus the lifecycle of the database behind them.
// Callers take the role they use (AppsStore, EventLog, TargetsStore, a DurableQueue), not the bundle.
import type { AppsStore } from './apps-store.ts';
import type { DurableQueue, NewNotification, NewWebhookDelivery, QueueEntry, QueueName } from './durable-queue.ts';
import type { EventLog } from './event-log.ts';
import type { TargetsStore } from './targets-store.ts';

export interface StoreLifecycle {
  /** Which implementation ("sqlite" | "postgres"), for logs and health. */
  readonly kind: string;
  /** Creates or upgrades the schema (versioned migrations); safe to call on every start. */
  migrate(): Promise<void>;
  /** Cheap round trip for readiness checks; rejects when the store is unavailable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Stores extends StoreLifecycle {
  readonly apps: AppsStore;
  readonly events: EventLog;
  readonly targets: TargetsStore;
  readonly webhooks: DurableQueue<NewWebhookDelivery>;
  readonly notifications: DurableQueue<NewNotification>;
}

/** How one database builds each role over its connection. */
export interface RoleFactories<D> {
  apps(db: D): AppsStore;
  events(db: D): EventLog;
  targets(db: D): TargetsStore;
  queue<N extends QueueEntry>(db: D, name: QueueName): DurableQueue<N>;
}

/** The bundle over one database: every role built on it, the lifecycle passed through. */
export class RoleStores<D extends Omit<StoreLifecycle, 'kind'>> implements Stores {
  readonly apps: AppsStore;
  readonly events: EventLog;
  readonly targets: TargetsStore;
  readonly webhooks: DurableQueue<NewWebhookDelivery>;
  readonly notifications: DurableQueue<NewNotification>;

  constructor(
    readonly kind: string,
    protected readonly db: D,
    roles: RoleFactories<D>,
  ) {
    this.apps = roles.apps(db);
    this.events = roles.events(db);
    this.targets = roles.targets(db);
    this.webhooks = roles.queue(db, 'webhooks');
    this.notifications = roles.queue(db, 'notifications');
  }

  migrate(): Promise<void> {
    return this.db.migrate();
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
