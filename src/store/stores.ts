// What open-store.ts returns: one object per role, plus the lifecycle of the database behind them.
// Callers take the role they use (AppsStore, EventLog, TargetsStore, a DurableQueue), not the bundle.
import type { AppsStore } from './apps-store.ts';
import type { DurableQueue, NewNotification, NewWebhookDelivery } from './durable-queue.ts';
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
