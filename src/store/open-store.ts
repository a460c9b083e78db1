// Picks the store from the configuration and brings its schema up to date.
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Stores } from './stores.ts';

export interface OpenStoreConfig {
  /** postgres://… selects PostgreSQL; otherwise SQLite at sqlitePath. */
  databaseUrl?: string;
  databaseSchema?: string;
  sqlitePath: string;
  /** PostgreSQL: a query unanswered this long (ms) fails and drops its connection. */
  queryTimeoutMs?: number;
}

export async function openStore(cfg: OpenStoreConfig): Promise<Stores> {
  // pg is loaded only when it is used: an embedded deployment does not pay for it in memory.
  const store: Stores = cfg.databaseUrl
    ? new (await import('./postgres/postgres-store.ts')).PostgresStore(cfg.databaseUrl, {
        schema: cfg.databaseSchema,
        queryTimeoutMs: cfg.queryTimeoutMs,
      })
    : new SqliteStore(cfg.sqlitePath);
  try {
    await store.migrate();
  } catch (err) {
    // Don't leak the pool or file handle of a store nobody will use.
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
