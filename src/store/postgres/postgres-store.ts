// The clustered store: every role on one PostgreSQL pool (postgres-db.ts), optionally in one schema.
import type { AppsStore } from '../apps-store.ts';
import type { DurableQueue, NewNotification, NewWebhookDelivery } from '../durable-queue.ts';
import type { EventLog } from '../event-log.ts';
import type { Stores } from '../stores.ts';
import type { TargetsStore } from '../targets-store.ts';
import { postgresApps } from './postgres-apps.ts';
import { type PostgresOptions, PostgresDb } from './postgres-db.ts';
import { postgresEventLog } from './postgres-event-log.ts';
import { postgresQueue } from './postgres-queue.ts';
import { postgresTargets } from './postgres-targets.ts';

export class PostgresStore implements Stores {
  readonly kind = 'postgres';
  readonly apps: AppsStore;
  readonly events: EventLog;
  readonly targets: TargetsStore;
  readonly webhooks: DurableQueue<NewWebhookDelivery>;
  readonly notifications: DurableQueue<NewNotification>;
  private readonly db: PostgresDb;

  constructor(url: string, options: PostgresOptions = {}) {
    this.db = new PostgresDb(url, options);
    this.apps = postgresApps(this.db);
    this.events = postgresEventLog(this.db);
    this.targets = postgresTargets(this.db);
    this.webhooks = postgresQueue(this.db, 'webhooks');
    this.notifications = postgresQueue(this.db, 'notifications');
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
