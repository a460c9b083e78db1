// PostgreSQL store for clustered deployments: a pg.Pool, optionally confined to one schema.
import pg from 'pg';
import { MIGRATIONS_TABLE, pendingMigrations } from '../migrations.ts';
import { DELETE_APP_NOTIFY, type PostgresAccess, PostgresNotify } from './postgres-notify.ts';
import { PostgresWebhooks } from './postgres-webhooks.ts';
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

export interface PostgresStoreOptions {
  /** Schema holding the tables (created if missing); default: the server's search_path. */
  schema?: string;
  poolSize?: number;
  /**
   * A query unanswered this long (ms) fails and its connection is dropped, so a server that stops
   * answering does not hold the pool's connections for as long as TCP takes to notice. Default 10000.
   */
  queryTimeoutMs?: number;
  /** How long opening a connection may take (ms). Default 2000. */
  connectTimeoutMs?: number;
  /** Errors of idle pooled connections (the pool drops them and reconnects on demand). */
  onError?: (err: Error) => void;
}

type Queryable = pg.Pool | pg.PoolClient;
const MIGRATION_TIMEOUT_MS = 3_600_000;

const E_EVENT_COLUMNS = EVENT_COLUMNS.replace(/(\w+)/g, 'e.$1');
// Node socket errors seen when the server is down or unreachable.
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// SQLSTATE classes: 08 connection exception, 53 insufficient resources (disk full), 57 operator
// intervention (57P01 admin shutdown, 57P03 cannot connect now), 58 system error (I/O).
// 42P01/3F000: the tables or the schema are gone (dropped, wrong database restored): nothing can be
// served until a restart migrates again, so it is an outage, not a bug in one query.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P|58|42P01|3F000)/;
// "Query read timeout": query_timeout passed (a server that stopped answering).
const UNAVAILABLE_MESSAGE = new RegExp(
  'Connection terminated|timeout exceeded when trying to connect|pool after calling end|' +
    'Client has encountered a connection error|Query read timeout',
  'i',
);

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly where: string;
  private readonly access: PostgresAccess = { query: (op, text, values) => this.query(op, text, values) };
  private readonly notify = new PostgresNotify(this.access);
  private readonly webhooks = new PostgresWebhooks(this.access);

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const { schema } = options;
    // Validated rather than escaped: the name goes into a startup parameter and DDL.
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name "${schema}": use letters, digits and _`);
    }
    this.schema = schema;
    this.where = safeUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      query_timeout: options.queryTimeoutMs ?? 10_000,
      // The kernel probes idle connections, so a silently dead peer is found without traffic.
      keepAlive: true,
      // Every pooled connection starts with the schema on its search_path, no per-query SET.
      ...(schema ? { options: `-c search_path="${schema}"` } : {}),
    });
    // Without a listener an idle client's error (server restart) is an uncaught 'error' event.
    this.pool.on('error', (err) => options.onError?.(err));
  }

  async migrate(): Promise<void> {
    await this.tx('migrate', async (client) => {
      // Migrating (an index over a large table, another node's migration holding the lock) may take
      // longer than a query is otherwise allowed to.
      const c = {
        query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
          client.query<R>({ text, values, query_timeout: MIGRATION_TIMEOUT_MS } as pg.QueryConfig),
      };
      // Serialises concurrent migrations (several cluster nodes starting) within this schema.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`pushi.migrate:${this.schema ?? ''}`]);
      if (this.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await c.query(MIGRATIONS_TABLE.postgres);
      const { rows } = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
      for (const m of pendingMigrations(rows.map((r) => r.version))) {
        await c.query(m.postgres);
        await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
      }
    });
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }

  async ping(): Promise<void> {
    // Touches a table so a dropped schema shows as not ready, not only a lost connection.
    await this.query('ping', 'SELECT 1 FROM schema_migrations LIMIT 1', []);
  }

  async listApps(): Promise<AppRecord[]> {
    const rows = await this.query<AppRow>('listApps', `SELECT ${APP_COLUMNS} FROM apps ORDER BY created_at, id`, []);
    return rows.map(toApp);
  }

  async getApp(id: string): Promise<AppRecord | undefined> {
    const rows = await this.query<AppRow>('getApp', `SELECT ${APP_COLUMNS} FROM apps WHERE id = $1`, [id]);
    return rows[0] && toApp(rows[0]);
  }

  async getAppByKey(key: string): Promise<AppRecord | undefined> {
    const rows = await this.query<AppRow>('getAppByKey', `SELECT ${APP_COLUMNS} FROM apps WHERE key = $1`, [key]);
    return rows[0] && toApp(rows[0]);
  }

  async createApp(app: AppRecord): Promise<void> {
    await this.query('createApp', `INSERT INTO apps (${APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      app.id,
      app.key,
      app.secret,
      app.name,
      app.enabled,
      JSON.stringify(app.options ?? {}),
      app.createdAt,
    ]);
  }

  async updateApp(id: string, patch: Partial<Omit<AppRecord, 'id' | 'createdAt'>>): Promise<AppRecord | undefined> {
    // NULL means "keep the current value" (no column is nullable).
    const rows = await this.query<AppRow>(
      'updateApp',
      `UPDATE apps SET key = COALESCE($2, key), secret = COALESCE($3, secret), name = COALESCE($4, name),
         enabled = COALESCE($5::boolean, enabled), options = COALESCE($6, options)
       WHERE id = $1 RETURNING ${APP_COLUMNS}`,
      [
        id,
        patch.key ?? null,
        patch.secret ?? null,
        patch.name ?? null,
        patch.enabled ?? null,
        patch.options === undefined ? null : JSON.stringify(patch.options),
      ],
    );
    return rows[0] && toApp(rows[0]);
  }

  async deleteApp(id: string): Promise<boolean> {
    return this.tx('deleteApp', async (c) => {
      await this.q(c, 'DELETE FROM deliveries WHERE app_id = $1', [id]);
      await this.q(c, 'DELETE FROM events WHERE app_id = $1', [id]);
      await this.q(c, 'DELETE FROM subscriptions WHERE app_id = $1', [id]);
      await this.q(c, 'DELETE FROM webhook_queue WHERE app_id = $1', [id]);
      for (const sql of DELETE_APP_NOTIFY) await this.q(c, sql, [id]);
      return ((await this.q(c, 'DELETE FROM apps WHERE id = $1', [id])).rowCount ?? 0) > 0;
    });
  }

  async addSubscription(appId: string, userId: string, channel: string): Promise<boolean> {
    const sql = `INSERT INTO subscriptions (app_id, user_id, channel, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING`;
    const result = await this.run('addSubscription', () =>
      this.q(this.pool, sql, [appId, userId, channel, Date.now()]),
    );
    return (result.rowCount ?? 0) > 0;
  }

  async removeSubscription(appId: string, userId: string, channel: string): Promise<boolean> {
    const sql = 'DELETE FROM subscriptions WHERE app_id = $1 AND user_id = $2 AND channel = $3';
    const result = await this.run('removeSubscription', () => this.q(this.pool, sql, [appId, userId, channel]));
    return (result.rowCount ?? 0) > 0;
  }

  async listSubscriptions(appId: string, filter: { userId?: string; channel?: string }): Promise<SubscriptionRecord[]> {
    const sql = `SELECT app_id, user_id, channel, created_at FROM subscriptions
      WHERE app_id = $1 AND ($2::text IS NULL OR user_id = $2) AND ($3::text IS NULL OR channel = $3)
      ORDER BY channel, user_id`;
    const rows = await this.query<SubscriptionRow>('listSubscriptions', sql, [
      appId,
      filter.userId ?? null,
      filter.channel ?? null,
    ]);
    return rows.map(toSubscription);
  }

  async appendEvents(events: NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    return this.tx('appendEvents', async (c) => {
      // One multi-row INSERT whatever the batch size: columns travel as arrays, so the statement
      // text (and its prepared plan) stays the same and the 65535-parameter limit never applies.
      const { rows } = await this.q<{ seq: string; mid: string }>(
        c,
        `INSERT INTO events (mid, app_id, channel, event, data, socket_id, user_id, timestamp)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
         RETURNING seq, mid`,
        [
          events.map((e) => e.mid),
          events.map((e) => e.appId),
          events.map((e) => e.channel),
          events.map((e) => e.event),
          events.map((e) => e.data),
          events.map((e) => e.socketId ?? null),
          events.map((e) => e.userId ?? null),
          events.map((e) => e.timestamp),
        ],
      );
      // RETURNING order is not promised by SQL; pair rows by their unique mid instead.
      const seqByMid = new Map(rows.map((r) => [r.mid, Number(r.seq)]));
      const seqs = events.map((e) => seqByMid.get(e.mid)!);
      // Deliveries go to whoever is subscribed inside this transaction: later subscribers miss it.
      await this.q(
        c,
        `INSERT INTO deliveries (app_id, user_id, seq)
         SELECT s.app_id, s.user_id, e.seq FROM events e
         JOIN subscriptions s ON s.app_id = e.app_id AND s.channel = e.channel
         WHERE e.seq = ANY($1::bigint[])`,
        [seqs],
      );
      return events.map((e, i) => stored(e, seqs[i]!));
    });
  }

  async channelEvents(appId: string, channel: string, page: Page): Promise<StoredEvent[]> {
    const l = limits(page);
    if (!l) return [];
    const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE app_id = $1 AND channel = $2
                 ORDER BY seq DESC LIMIT $3 OFFSET $4`;
    const rows = await this.query<EventRow>('channelEvents', sql, [appId, channel, l.limit, l.offset]);
    return rows.map(toEvent);
  }

  async userEvents(appId: string, userId: string, page: Page): Promise<StoredEvent[]> {
    const l = limits(page);
    if (!l) return [];
    const sql = `SELECT ${E_EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.seq
                 WHERE d.app_id = $1 AND d.user_id = $2 ORDER BY d.seq DESC LIMIT $3 OFFSET $4`;
    const rows = await this.query<EventRow>('userEvents', sql, [appId, userId, l.limit, l.offset]);
    return rows.map(toEvent);
  }

  async prune(rule: RetentionRule, now = Date.now()): Promise<number> {
    return this.tx('prune', async (c) => {
      let removed = 0;
      if (rule.maxAgeMs > 0) {
        const sql = 'DELETE FROM events WHERE app_id = $1 AND timestamp < $2';
        removed += (await this.q(c, sql, [rule.appId, now - rule.maxAgeMs])).rowCount ?? 0;
      }
      // maxPerChannel <= 0 means no count limit, like maxAgeMs = 0.
      if (rule.maxPerChannel > 0) {
        const sql = `DELETE FROM events WHERE seq IN (
           SELECT seq FROM (
             SELECT seq, row_number() OVER (PARTITION BY channel ORDER BY seq DESC) AS rn
             FROM events WHERE app_id = $1) ranked
           WHERE rn > $2)`;
        removed += (await this.q(c, sql, [rule.appId, Math.floor(rule.maxPerChannel)])).rowCount ?? 0;
      }
      return removed;
    });
  }

  // The webhook queue: postgres-webhooks.ts.
  enqueueWebhooks(items: NewWebhookDelivery[]): Promise<void> {
    return this.webhooks.enqueue(items);
  }
  claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.claim(now, leaseMs, limit);
  }
  webhookDelivered(id: number): Promise<void> {
    return this.webhooks.delivered(id);
  }
  rescheduleWebhook(id: number, nextAttemptAt: number, error: string | null, countAttempt = true): Promise<void> {
    return this.webhooks.reschedule(id, nextAttemptAt, error, countAttempt);
  }
  failWebhook(id: number, error: string): Promise<void> {
    return this.webhooks.fail(id, error);
  }
  listFailedWebhooks(appId: string, page: Page): Promise<WebhookDelivery[]> {
    return this.webhooks.listFailed(appId, page);
  }
  retryWebhook(appId: string, id: number, now: number): Promise<boolean> {
    return this.webhooks.retry(appId, id, now);
  }
  countPendingWebhooks(appId?: string): Promise<number> {
    return this.webhooks.countPending(appId);
  }

  // Notification targets and queue: postgres-notify.ts.
  addTarget(t: NotifyTarget): Promise<boolean> {
    return this.notify.addTarget(t);
  }
  listTargets(appId: string, filter: TargetFilter): Promise<NotifyTarget[]> {
    return this.notify.listTargets(appId, filter);
  }
  removeTargets(appId: string, filter: TargetFilter): Promise<NotifyTarget[]> {
    return this.notify.removeTargets(appId, filter);
  }
  targetsFor(appId: string, channels: string[]): Promise<Array<NotifyTarget & { via: string }>> {
    return this.notify.targetsFor(appId, channels);
  }
  hasTargets(appId: string): Promise<boolean> {
    return this.notify.hasTargets(appId);
  }
  enqueueNotifications(items: NewNotification[]): Promise<void> {
    return this.notify.enqueueNotifications(items);
  }
  claimNotifications(now: number, leaseMs: number, limit: number): Promise<NotificationDelivery[]> {
    return this.notify.claimNotifications(now, leaseMs, limit);
  }
  notificationDone(id: number): Promise<void> {
    return this.notify.notificationDone(id);
  }
  rescheduleNotification(id: number, nextAttemptAt: number, error: string | null, countAttempt = true): Promise<void> {
    return this.notify.rescheduleNotification(id, nextAttemptAt, error, countAttempt);
  }
  countPendingNotifications(appId?: string): Promise<number> {
    return this.notify.countPendingNotifications(appId);
  }

  /** A named (prepared-once-per-connection) query; the statement name is derived from its text. */
  private q<R extends pg.QueryResultRow = pg.QueryResultRow>(
    on: Queryable,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return on.query<R>({ name: statementName(text), text, values });
  }

  private async query<R extends pg.QueryResultRow>(op: string, text: string, values: unknown[]): Promise<R[]> {
    return (await this.run(op, () => this.q<R>(this.pool, text, values))).rows;
  }

  private async run<T>(op: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      throw this.mapError(err, op);
    }
  }

  private async tx<T>(op: string, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(op, async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no pool listener: a backend terminated between two statements
      // would be an unhandled 'error' event and take the process down. Note it; the next
      // statement fails, and the client is destroyed on release.
      const onError = (e: Error) => (broken ??= e);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await body(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A failed ROLLBACK means the connection itself is bad: destroy it instead of pooling it.
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        if (!broken) client.removeListener('error', onError); // a destroyed client keeps it: late errors are swallowed
        client.release(broken);
      }
    });
  }

  private mapError(err: unknown, op: string): Error {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e?.code === 'string' ? e.code : undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (code === '23505') return new StoreConflictError(`${op}: ${message}`, { cause: err });
    if (
      (code && (NET_CODES.has(code) || (code.length === 5 && UNAVAILABLE_SQLSTATE.test(code)))) ||
      UNAVAILABLE_MESSAGE.test(message) ||
      (err instanceof AggregateError && err.errors.some((x) => NET_CODES.has((x as { code?: string })?.code ?? '')))
    ) {
      const detail = code ? `${code}: ${message || 'connection failed'}` : message;
      return new StoreUnavailableError(`PostgreSQL at ${this.where} unavailable (${op}): ${detail}`, {
        cause: err,
        reply: `PostgreSQL unavailable (${op})${code ? `: ${code}` : ''}`,
      });
    }
    return err instanceof Error ? err : new Error(message);
  }
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `pushi_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** The URL without its password, for error messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}
