// The embedded database: one SQLite file and the connection every role shares. better-sqlite3 is
// synchronous, so role methods run to completion and only wrap their result (or error) in a promise.
import { constants, mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreConflictError, StoreUnavailableError } from '../errors.ts';
import { MIGRATIONS_TABLE, pendingMigrations } from '../migrations.ts';
import { EventWriter } from './event-writer.ts';

export interface SqliteOptions {
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

// Codes meaning "the file cannot be read or written right now", as opposed to a bug in a query.
const UNAVAILABLE = /^SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY|LOCKED|NOMEM|CORRUPT|NOTADB|PERM|PROTOCOL)/;

export class SqliteDb {
  readonly connection: Database.Database;
  /** Commits event appends off the main thread; absent for a read-only or in-memory database. */
  readonly writer?: EventWriter;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly prepared = new Map<string, unknown>();
  private readonly mainBusyTimeoutMs: number;

  constructor(
    private readonly path: string,
    options: SqliteOptions = {},
  ) {
    const memory = path === ':memory:' || path === '';
    try {
      if (!memory && !options.readonly) mkdirSync(dirname(path), { recursive: true });
      const readonly = options.readonly ?? false;
      this.connection = new Database(path, { readonly, fileMustExist: readonly });
      const busyTimeout = Math.max(0, Math.floor(options.busyTimeoutMs ?? 500));
      this.connection.pragma(`busy_timeout = ${busyTimeout}`);
      // WAL lets readers run beside the writer; FULL syncs the WAL on every commit so an
      // acknowledged write survives power loss, not only a crash of this process.
      if (!readonly) this.connection.pragma('journal_mode = WAL');
      this.connection.pragma('synchronous = FULL');
      this.connection.pragma('foreign_keys = ON');
      // A file the server writes gets its event appends off the main thread; a read-only or
      // in-memory database (one connection only) appends here.
      if (!memory && !readonly) this.writer = new EventWriter({ path, busyTimeoutMs: busyTimeout });
      this.mainBusyTimeoutMs = Math.max(0, Math.floor(options.mainBusyTimeoutMs ?? 50));
    } catch (err) {
      throw this.mapError(err, 'open');
    }
  }

  get open(): boolean {
    return this.connection.open;
  }

  async migrate(): Promise<void> {
    const db = this.connection;
    this.run('migrate', () => {
      db.exec(MIGRATIONS_TABLE.sqlite);
      // IMMEDIATE takes the write lock before reading the applied versions, so two processes
      // migrating at once run one after the other.
      this.tx(() => {
        const rows = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
        for (const m of pendingMigrations(rows.map((r) => r.version))) {
          db.exec(m.sqlite);
          db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
        }
      });
    });
    // Statements prepared before a schema change would be stale.
    this.statements.clear();
    this.prepared.clear();
    // Migrating (several processes starting at once) may wait; serving must not block for long.
    if (this.connection.open) this.connection.pragma(`busy_timeout = ${this.mainBusyTimeoutMs}`);
  }

  /** A setting of each connection: this one's, then the writer thread's when there is one. */
  async pragma(name: 'synchronous' | 'journal_mode'): Promise<unknown[]> {
    const here = this.connection.pragma(name, { simple: true });
    return this.writer ? [here, await this.writer.pragma(name)] : [here];
  }

  async close(): Promise<void> {
    // The main connection first: from now on appends are refused (event log) and cannot start a
    // new writer thread; the thread finishes what it was handed, then closes its own connection.
    if (this.connection.open) this.connection.close();
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
      if (!this.connection.open) throw new Error('The database connection is not open');
      if (this.connection.readonly) throw Object.assign(new Error('opened read-only'), { code: 'SQLITE_READONLY' });
      if (onThread) return;
      this.connection.exec('BEGIN IMMEDIATE');
      this.connection.exec('ROLLBACK');
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

  /** A statement prepared once per schema version. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Something built from prepared statements (see stmt), kept until the next migration. */
  cached<T>(key: string, build: () => T): T {
    if (!this.prepared.has(key)) this.prepared.set(key, build());
    return this.prepared.get(key) as T;
  }

  /** Runs a synchronous body, translating SQLite errors into the store's error types. */
  run<T>(op: string, body: () => T): T {
    try {
      return body();
    } catch (err) {
      throw this.mapError(err, op);
    }
  }

  /** Runs body in an IMMEDIATE transaction (the write lock taken first). */
  tx<T>(body: () => T): T {
    return this.connection.transaction(body).immediate();
  }

  mapError(err: unknown, op: string): Error {
    const code = (err as { code?: unknown })?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT_') && /UNIQUE|PRIMARYKEY/.test(code)) {
      return new StoreConflictError(`${op}: ${message}`);
    }
    if ((typeof code === 'string' && UNAVAILABLE.test(code)) || !this.connection?.open) {
      const detail = typeof code === 'string' ? `${code}: ${message}` : message;
      return new StoreUnavailableError(`SQLite database ${this.path} unavailable (${op}): ${detail}`, {
        cause: err,
        reply: `SQLite unavailable (${op})${typeof code === 'string' ? `: ${code}` : ''}`,
      });
    }
    return err instanceof Error ? err : new Error(message);
  }
}
