// The embedded store: every role on one SQLite file (sqlite-db.ts holds the connection).
import type { AppsStore } from '../apps-store.ts';
import type { DurableQueue, NewNotification, NewWebhookDelivery } from '../durable-queue.ts';
import type { EventLog } from '../event-log.ts';
import type { Stores } from '../stores.ts';
import type { TargetsStore } from '../targets-store.ts';
import { sqliteApps } from './sqlite-apps.ts';
import { type SqliteOptions, SqliteDb } from './sqlite-db.ts';
import { sqliteEventLog } from './sqlite-event-log.ts';
import { sqliteQueue } from './sqlite-queue.ts';
import { sqliteTargets } from './sqlite-targets.ts';

export class SqliteStore implements Stores {
  readonly kind = 'sqlite';
  readonly apps: AppsStore;
  readonly events: EventLog;
  readonly targets: TargetsStore;
  readonly webhooks: DurableQueue<NewWebhookDelivery>;
  readonly notifications: DurableQueue<NewNotification>;
  private readonly db: SqliteDb;

  constructor(path: string, options: SqliteOptions = {}) {
    this.db = new SqliteDb(path, options);
    this.apps = sqliteApps(this.db);
    this.events = sqliteEventLog(this.db);
    this.targets = sqliteTargets(this.db);
    this.webhooks = sqliteQueue(this.db, 'webhooks');
    this.notifications = sqliteQueue(this.db, 'notifications');
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
