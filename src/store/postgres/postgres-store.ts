// The clustered store: every role on one PostgreSQL pool (postgres-db.ts), optionally in one schema.
import { RoleStores } from '../stores.ts';
import { postgresApps } from './postgres-apps.ts';
import { type PostgresOptions, PostgresDb } from './postgres-db.ts';
import { postgresEventLog } from './postgres-event-log.ts';
import { postgresQueue } from './postgres-queue.ts';
import { postgresTargets } from './postgres-targets.ts';

export class PostgresStore extends RoleStores<PostgresDb> {
  constructor(url: string, options: PostgresOptions = {}) {
    super('postgres', new PostgresDb(url, options), {
      apps: postgresApps,
      events: postgresEventLog,
      targets: postgresTargets,
      queue: postgresQueue,
    });
  }
}
