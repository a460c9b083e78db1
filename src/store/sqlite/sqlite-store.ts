// The embedded store: every role on one SQLite file (sqlite-db.ts holds the connection).
import { RoleStores } from '../stores.ts';
import { sqliteApps } from './sqlite-apps.ts';
import { type SqliteOptions, SqliteDb } from './sqlite-db.ts';
import { sqliteEventLog } from './sqlite-event-log.ts';
import { sqliteQueue } from './sqlite-queue.ts';
import { sqliteTargets } from './sqlite-targets.ts';

export class SqliteStore extends RoleStores<SqliteDb> {
  constructor(path: string, options: SqliteOptions = {}) {
    super('sqlite', new SqliteDb(path, options), {
      apps: sqliteApps,
      events: sqliteEventLog,
      targets: sqliteTargets,
      queue: sqliteQueue,
    });
  }

  /** A setting of each connection (tests check the durability settings of both). */
  pragma(name: 'synchronous' | 'journal_mode'): Promise<unknown[]> {
    return this.db.pragma(name);
  }
}
