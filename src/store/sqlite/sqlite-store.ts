// Embedded store: one SQLite file. better-sqlite3 is synchronous, so every method runs to completion
// before returning and only wraps its result (or error) in a promise.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS_TABLE, pendingMigrations } from '../migrations.ts';
import {
  APP_COLUMNS,
  EVENT_COLUMNS,
  limits,
  stored,
  toApp,
  toEvent,
  toSubscription,
  type AppRow,
  type EventRow,
  type SubscriptionRow,
} from '../rows.ts';
import {
  StoreConflictError,
  StoreUnavailableError,
  type AppRecord,
  type NewEvent,
  type Page,
  type RetentionRule,
  type Store,
  type StoredEvent,
  type SubscriptionRecord,
} from '../store.ts';

export interface SqliteStoreOptions {
  /** Open without write access (writes then fail with StoreUnavailableError). */
  readonly?: boolean;
  /** How long a write waits for another process's lock (the CLI) before giving up. Default 5000. */
  busyTimeoutMs?: number;
}

const E_EVENT_COLUMNS = EVENT_COLUMNS.replace(/(\w+)/g, 'e.$1');
// Codes meaning "the file cannot be read or written right now", as opposed to a bug in a query.
const UNAVAILABLE = /^SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM|CORRUPT|NOTADB|PERM|PROTOCOL)/;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly path: string;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    const memory = path === ':memory:' || path === '';
    try {
      if (!memory && !options.readonly) mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      // WAL lets readers run beside the writer; FULL syncs the WAL on every commit so an
      // acknowledged write survives power loss, not only a crash of this process.
      if (!options.readonly) this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
    } catch (err) {
      throw this.mapError(err, 'open');
    }
  }

  async migrate(): Promise<void> {
    this.run('migrate', () => {
      this.db.exec(MIGRATIONS_TABLE.sqlite);
      // IMMEDIATE takes the write lock before reading the applied versions, so two processes
      // migrating at once run one after the other.
      this.db
        .transaction(() => {
          const rows = this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
          for (const m of pendingMigrations(rows.map((r) => r.version))) {
            this.db.exec(m.sqlite);
            this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
          }
        })
        .immediate();
    });
    // Statements prepared before a schema change would be stale.
    this.statements.clear();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<void> {
    this.run('ping', () => this.stmt('SELECT 1').get());
  }

  async listApps(): Promise<AppRecord[]> {
    return this.run('listApps', () =>
      (this.stmt(`SELECT ${APP_COLUMNS} FROM apps ORDER BY created_at, id`).all() as AppRow[]).map(toApp),
    );
  }

  async getApp(id: string): Promise<AppRecord | undefined> {
    return this.run('getApp', () => {
      const row = this.stmt(`SELECT ${APP_COLUMNS} FROM apps WHERE id = ?`).get(id) as AppRow | undefined;
      return row && toApp(row);
    });
  }

  async getAppByKey(key: string): Promise<AppRecord | undefined> {
    return this.run('getAppByKey', () => {
      const row = this.stmt(`SELECT ${APP_COLUMNS} FROM apps WHERE key = ?`).get(key) as AppRow | undefined;
      return row && toApp(row);
    });
  }

  async createApp(app: AppRecord): Promise<void> {
    this.run('createApp', () => {
      this.stmt(`INSERT INTO apps (${APP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
        app.id,
        app.key,
        app.secret,
        app.name,
        app.enabled ? 1 : 0,
        JSON.stringify(app.options ?? {}),
        app.createdAt,
      );
    });
  }

  async updateApp(
    id: string,
    patch: Partial<Omit<AppRecord, 'id' | 'createdAt'>>,
  ): Promise<AppRecord | undefined> {
    return this.run('updateApp', () => {
      // One static statement: NULL means "keep the current value" (no column is nullable).
      const row = this.stmt(
        `UPDATE apps SET key = COALESCE(?, key), secret = COALESCE(?, secret), name = COALESCE(?, name),
           enabled = COALESCE(?, enabled), options = COALESCE(?, options)
         WHERE id = ? RETURNING ${APP_COLUMNS}`,
      ).get(
        patch.key ?? null,
        patch.secret ?? null,
        patch.name ?? null,
        patch.enabled === undefined ? null : patch.enabled ? 1 : 0,
        patch.options === undefined ? null : JSON.stringify(patch.options),
        id,
      ) as AppRow | undefined;
      return row && toApp(row);
    });
  }

  async deleteApp(id: string): Promise<boolean> {
    return this.run('deleteApp', () =>
      this.db
        .transaction(() => {
          this.stmt('DELETE FROM deliveries WHERE app_id = ?').run(id);
          this.stmt('DELETE FROM events WHERE app_id = ?').run(id);
          this.stmt('DELETE FROM subscriptions WHERE app_id = ?').run(id);
          return this.stmt('DELETE FROM apps WHERE id = ?').run(id).changes > 0;
        })
        .immediate(),
    );
  }

  async addSubscription(appId: string, userId: string, channel: string): Promise<boolean> {
    return this.run('addSubscription', () => {
      const sql = `INSERT INTO subscriptions (app_id, user_id, channel, created_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT DO NOTHING`;
      return this.stmt(sql).run(appId, userId, channel, Date.now()).changes > 0;
    });
  }

  async removeSubscription(appId: string, userId: string, channel: string): Promise<boolean> {
    return this.run('removeSubscription', () => {
      const sql = 'DELETE FROM subscriptions WHERE app_id = ? AND user_id = ? AND channel = ?';
      return this.stmt(sql).run(appId, userId, channel).changes > 0;
    });
  }

  async listSubscriptions(
    appId: string,
    filter: { userId?: string; channel?: string },
  ): Promise<SubscriptionRecord[]> {
    return this.run('listSubscriptions', () => {
      const sql = `SELECT app_id, user_id, channel, created_at FROM subscriptions
        WHERE app_id = ? AND (? IS NULL OR user_id = ?) AND (? IS NULL OR channel = ?)
        ORDER BY channel, user_id`;
      const user = filter.userId ?? null;
      const channel = filter.channel ?? null;
      return (this.stmt(sql).all(appId, user, user, channel, channel) as SubscriptionRow[]).map(toSubscription);
    });
  }

  async appendEvents(events: NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    return this.run('appendEvents', () =>
      this.db
        .transaction(() => {
          const insert = this.stmt(
            `INSERT INTO events (mid, app_id, channel, event, data, socket_id, user_id, timestamp)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          // Deliveries go to whoever is subscribed inside this transaction: later subscribers miss it.
          const deliver = this.stmt(
            `INSERT INTO deliveries (app_id, user_id, seq)
             SELECT app_id, user_id, ? FROM subscriptions WHERE app_id = ? AND channel = ?`,
          );
          return events.map((e) => {
            const { lastInsertRowid } = insert.run(
              e.mid,
              e.appId,
              e.channel,
              e.event,
              e.data,
              e.socketId ?? null,
              e.userId ?? null,
              e.timestamp,
            );
            const seq = Number(lastInsertRowid);
            deliver.run(seq, e.appId, e.channel);
            return stored(e, seq);
          });
        })
        .immediate(),
    );
  }

  async channelEvents(appId: string, channel: string, page: Page): Promise<StoredEvent[]> {
    const l = limits(page);
    if (!l) return [];
    return this.run('channelEvents', () => {
      const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE app_id = ? AND channel = ?
                   ORDER BY seq DESC LIMIT ? OFFSET ?`;
      return (this.stmt(sql).all(appId, channel, l.limit, l.offset) as EventRow[]).map(toEvent);
    });
  }

  async userEvents(appId: string, userId: string, page: Page): Promise<StoredEvent[]> {
    const l = limits(page);
    if (!l) return [];
    return this.run('userEvents', () => {
      const sql = `SELECT ${E_EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.seq
                   WHERE d.app_id = ? AND d.user_id = ? ORDER BY d.seq DESC LIMIT ? OFFSET ?`;
      return (this.stmt(sql).all(appId, userId, l.limit, l.offset) as EventRow[]).map(toEvent);
    });
  }

  async prune(rule: RetentionRule, now = Date.now()): Promise<number> {
    return this.run('prune', () =>
      this.db
        .transaction(() => {
          let removed = 0;
          if (rule.maxAgeMs > 0) {
            removed += this.stmt('DELETE FROM events WHERE app_id = ? AND timestamp < ?').run(
              rule.appId,
              now - rule.maxAgeMs,
            ).changes;
          }
          // maxPerChannel <= 0 means no count limit, like maxAgeMs = 0.
          if (rule.maxPerChannel > 0) {
            removed += this.stmt(
              `DELETE FROM events WHERE seq IN (
                 SELECT seq FROM (
                   SELECT seq, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY seq DESC) AS rn
                   FROM events WHERE app_id = ?)
                 WHERE rn > ?)`,
            ).run(rule.appId, Math.floor(rule.maxPerChannel)).changes;
          }
          return removed;
        })
        .immediate(),
    );
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a synchronous body, translating SQLite errors into the store's error types. */
  private run<T>(op: string, body: () => T): T {
    try {
      return body();
    } catch (err) {
      throw this.mapError(err, op);
    }
  }

  private mapError(err: unknown, op: string): Error {
    const code = (err as { code?: unknown })?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT_') && /UNIQUE|PRIMARYKEY/.test(code)) {
      return new StoreConflictError(`${op}: ${message}`);
    }
    if ((typeof code === 'string' && UNAVAILABLE.test(code)) || !this.db?.open) {
      const detail = typeof code === 'string' ? `${code}: ${message}` : message;
      return new StoreUnavailableError(`SQLite database ${this.path} unavailable (${op}): ${detail}`, { cause: err });
    }
    return err instanceof Error ? err : new Error(message);
  }
}
