// PostgreSQL for clustered deployments: the pool every role shares, optionally confined to one
// schema, with the error mapping and transactions the roles use.
import pg from 'pg';
import { StoreConflictError, StoreUnavailableError } from '../errors.ts';
import { MIGRATIONS_TABLE, pendingMigrations } from '../migrations.ts';

export interface PostgresOptions {
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

export type Queryable = pg.Pool | pg.PoolClient;
const MIGRATION_TIMEOUT_MS = 3_600_000;

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
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'pool after calling end',
    'Client has encountered a connection error',
    'Query read timeout', // query_timeout passed: a server that stopped answering
  ].join('|'),
  'i',
);

export class PostgresDb {
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly where: string;

  constructor(url: string, options: PostgresOptions = {}) {
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

  /** A named (prepared-once-per-connection) query; the statement name is derived from its text. */
  q<R extends pg.QueryResultRow = pg.QueryResultRow>(
    on: Queryable,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return on.query<R>({ name: statementName(text), text, values });
  }

  /** A named query on the pool, errors mapped to the store's types: its rows. */
  async query<R extends pg.QueryResultRow>(op: string, text: string, values: unknown[]): Promise<R[]> {
    return (await this.exec<R>(op, text, values)).rows;
  }

  /** Like query, with the whole result (rowCount). */
  exec<R extends pg.QueryResultRow = pg.QueryResultRow>(
    op: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.run(op, () => this.q<R>(this.pool, text, values));
  }

  async run<T>(op: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      throw this.mapError(err, op);
    }
  }

  async tx<T>(op: string, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
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

  mapError(err: unknown, op: string): Error {
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
