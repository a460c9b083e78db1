// Embedded store: one SQLite file. better-sqlite3 is synchronous, so every method runs to completion
// before returning and only wraps its result (or error) in a promise.
import { constants, mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS_TABLE, pendingMigrations } from '../migrations.ts';
import { type SqliteAccess, SqliteNotify } from './sqlite-notify.ts';
import { SqliteWebhooks } from './sqlite-webhooks.ts';
import { prepareAppend } from './append.ts';
import { EventWriter } from './event-writer.ts';
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
  type NewWebhookDelivery,
  type WebhookDelivery,
  type NewNotification,
  type NotificationDelivery,
  type NotifyTarget,
  type TargetFilter,
} from '../store.ts';

export interface SqliteStoreOptions {
  /** Open without write access (writes then fail with StoreUnavailableError). */
  readonly?: boolean;
  /** How long the writer thread waits for another process's lock (the CLI) before giving up. Default 500. */
  busyTimeoutMs?: number;
  /**
   * The same wait on the main connection (queue claims, app changes), once migrated: it blocks the
   * event loop meanwhile, so it stays short; such a write fails with SQLITE_BUSY instead. Default 50.
   */
  mainBusyTimeoutMs?: number;
}

const E_EVENT_COLUMNS = EVENT_COLUMNS.replace(/(\w+)/g, 'e.$1');
// Codes meaning "the file cannot be read or written right now", as opposed to a bug in a query.
const UNAVAILABLE = /^SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM|CORRUPT|NOTADB|PERM|PROTOCOL)/;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly path: string;
  private readonly writer?: EventWriter;
  private readonly mainBusyTimeoutMs: number;
  private appendHere?: (events: NewEvent[]) => number[];
  private readonly access: SqliteAccess = {
    stmt: (sql) => this.stmt(sql),
    run: (op, body) => this.run(op, body),
    tx: (body) => this.db.transaction(body).immediate(),
  };
  private readonly notify = new SqliteNotify(this.access);
  private readonly webhooks = new SqliteWebhooks(this.access);

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    const memory = path === ':memory:' || path === '';
    try {
      if (!memory && !options.readonly) mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      const busyTimeout = Math.max(0, Math.floor(options.busyTimeoutMs ?? 500));
      this.db.pragma(`busy_timeout = ${busyTimeout}`);
      // WAL lets readers run beside the writer; FULL syncs the WAL on every commit so an
      // acknowledged write survives power loss, not only a crash of this process.
      if (!options.readonly) this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      // A file the server writes gets its event appends off the main thread; a read-only or
      // in-memory database (one connection only) appends here.
      if (!memory && !options.readonly) this.writer = new EventWriter({ path, busyTimeoutMs: busyTimeout });
      this.mainBusyTimeoutMs = Math.max(0, Math.floor(options.mainBusyTimeoutMs ?? 50));
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
            this.db
              .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
              .run(m.version, Date.now());
          }
        })
        .immediate();
    });
    // Statements prepared before a schema change would be stale.
    this.statements.clear();
    this.appendHere = undefined;
    // Migrating (several processes starting at once) may wait; serving must not block for long.
    if (this.db.open) this.db.pragma(`busy_timeout = ${this.mainBusyTimeoutMs}`);
  }

  async close(): Promise<void> {
    // The main connection first: from now on appends are refused (below) and cannot start a new
    // writer thread; the thread finishes what it was handed, then closes its own connection.
    if (this.db.open) this.db.close();
    await this.writer?.close();
  }

  /**
   * Readiness: takes and releases the write lock, so a read-only or locked file reports down. Once
   * the writer thread runs, the wait for the lock happens there, not on the event loop; until then
   * (the first pings start it) here, for at most the main connection's short busy timeout.
   */
  async ping(): Promise<void> {
    const onThread = this.writer?.warm === true;
    this.run('ping', () => {
      if (!this.db.open) throw new Error('The database connection is not open');
      if (this.db.readonly) throw Object.assign(new Error('opened read-only'), { code: 'SQLITE_READONLY' });
      if (onThread) return;
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    });
    if (this.writer && !onThread)
      this.writer.ping().catch(() => undefined); // starts the thread
    else
      await this.writer?.ping().catch((err: unknown) => {
        throw this.mapError(err, 'ping');
      });
    // Taking the lock writes nothing: a file made read-only under us (permissions, a read-only
    // remount, chattr +i) shows only when asked, without blocking.
    if (this.writer)
      for (const file of [this.path, `${this.path}-wal`])
        await access(file, constants.W_OK).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return;
          const readonly = Object.assign(new Error(`${file} is not writable (${err.code})`), {
            code: 'SQLITE_READONLY',
          });
          throw this.mapError(readonly, 'ping');
        });
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

  async updateApp(id: string, patch: Partial<Omit<AppRecord, 'id' | 'createdAt'>>): Promise<AppRecord | undefined> {
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
          this.stmt('DELETE FROM webhook_queue WHERE app_id = ?').run(id);
          this.notify.deleteApp(id);
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

  async listSubscriptions(appId: string, filter: { userId?: string; channel?: string }): Promise<SubscriptionRecord[]> {
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
    if (!this.writer)
      return this.run('appendEvents', () =>
        (this.appendHere ??= prepareAppend(this.db))(events).map((seq, i) => stored(events[i], seq)),
      );
    if (!this.db.open) throw this.mapError(new Error('The database connection is not open'), 'appendEvents');
    try {
      const seqs = await this.writer.append(events);
      return seqs.map((seq, i) => stored(events[i], seq));
    } catch (err) {
      throw this.mapError(err, 'appendEvents');
    }
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

  // The webhook queue: sqlite-webhooks.ts.
  async enqueueWebhooks(items: NewWebhookDelivery[]): Promise<void> {
    this.webhooks.enqueue(items);
  }
  async claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.claim(now, leaseMs, limit);
  }
  async webhookDelivered(id: number): Promise<void> {
    this.webhooks.delivered(id);
  }
  async rescheduleWebhook(id: number, nextAttemptAt: number, error: string | null, countAttempt = true): Promise<void> {
    this.webhooks.reschedule(id, nextAttemptAt, error, countAttempt);
  }
  async failWebhook(id: number, error: string): Promise<void> {
    this.webhooks.fail(id, error);
  }
  async listFailedWebhooks(appId: string, page: Page): Promise<WebhookDelivery[]> {
    return this.webhooks.listFailed(appId, page);
  }
  async retryWebhook(appId: string, id: number, now: number): Promise<boolean> {
    return this.webhooks.retry(appId, id, now);
  }
  async countPendingWebhooks(appId?: string): Promise<number> {
    return this.webhooks.countPending(appId);
  }

  // Notification targets and queue: sqlite-notify.ts.
  async addTarget(t: NotifyTarget): Promise<boolean> {
    return this.notify.addTarget(t);
  }
  async listTargets(appId: string, filter: TargetFilter): Promise<NotifyTarget[]> {
    return this.notify.listTargets(appId, filter);
  }
  async removeTargets(appId: string, filter: TargetFilter): Promise<NotifyTarget[]> {
    return this.notify.removeTargets(appId, filter);
  }
  async targetsFor(appId: string, channels: string[]): Promise<Array<NotifyTarget & { via: string }>> {
    return this.notify.targetsFor(appId, channels);
  }
  async hasTargets(appId: string): Promise<boolean> {
    return this.notify.hasTargets(appId);
  }
  async enqueueNotifications(items: NewNotification[]): Promise<void> {
    this.notify.enqueueNotifications(items);
  }
  async claimNotifications(now: number, leaseMs: number, limit: number): Promise<NotificationDelivery[]> {
    return this.notify.claimNotifications(now, leaseMs, limit);
  }
  async notificationDone(id: number): Promise<void> {
    this.notify.notificationDone(id);
  }
  async rescheduleNotification(
    id: number,
    nextAttemptAt: number,
    error: string | null,
    countAttempt = true,
  ): Promise<void> {
    this.notify.rescheduleNotification(id, nextAttemptAt, error, countAttempt);
  }
  async countPendingNotifications(appId?: string): Promise<number> {
    return this.notify.countPendingNotifications(appId);
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
      return new StoreUnavailableError(`SQLite database ${this.path} unavailable (${op}): ${detail}`, {
        cause: err,
        reply: `SQLite unavailable (${op})${typeof code === 'string' ? `: ${code}` : ''}`,
      });
    }
    return err instanceof Error ? err : new Error(message);
  }
}
