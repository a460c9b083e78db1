// Runs the store contract (every role) against SQLite (temp file) and PostgreSQL (fresh schema per run), plus
// each implementation's own failure modes.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { postgresForTests } from '../helpers/postgres.ts';
import { contractSuite } from './contract.ts';
import { newApp, newEvent } from './records.ts';

// First, so that in CI an unreachable server fails the file before any test starts.
const target = await postgresForTests();
if (!target.available) console.log(`# ${target.reason}`);
else after(target.dropSchema); // file-level: the PostgreSQL describes below share the schema

const tmp = mkdtempSync(join(tmpdir(), 'pushi-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
const tmpDb = () => join(tmp, `db-${++files}`, 'pushi.db'); // the folder does not exist yet

/**
 * Makes a file read-only for this process; returns the undo. Root writes through any mode bits, so
 * as root the file is made immutable (chattr +i, as a read-only mount would); chmod otherwise.
 */
function readOnly(file: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', file]);
    return () => execFileSync('chattr', ['-i', file]);
  }
  chmodSync(file, 0o444);
  return () => chmodSync(file, 0o644);
}

const sqlitePath = tmpDb();
contractSuite('SqliteStore contract', {
  open: () => new SqliteStore(sqlitePath),
  cleanup: async () => {},
});

contractSuite(
  'PostgresStore contract',
  target.available
    ? { open: () => new PostgresStore(target.url, { schema: target.schema, poolSize: 4 }), cleanup: async () => {} }
    : { skip: target.reason },
);

describe('SqliteStore specifics', () => {
  test('creates the parent folder, uses WAL and synchronous=FULL', async () => {
    const path = tmpDb();
    const store = new SqliteStore(path);
    try {
      await store.migrate();
      // Both connections, the main one and the writer thread's that appends events (2 = FULL).
      assert.deepEqual(await store.pragma('synchronous'), [2, 2]);
      assert.deepEqual(await store.pragma('journal_mode'), ['wal', 'wal']);
    } finally {
      await store.close();
    }
    assert.ok(existsSync(path));
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  test(':memory: works', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    assert.equal(store.kind, 'sqlite');
    await store.apps.create(newApp());
    assert.equal((await store.apps.list()).length, 1);
    await store.close();
  });

  test('writes on a read-only database reject with StoreUnavailableError (SQLITE_READONLY)', async () => {
    const path = tmpDb();
    const writer = new SqliteStore(path);
    await writer.migrate();
    const app = newApp();
    await writer.apps.create(app);
    await writer.close();

    const store = new SqliteStore(path, { readonly: true });
    try {
      assert.deepEqual(await store.apps.get(app.id), app); // reads still work
      await assert.rejects(store.apps.create(newApp()), (err: Error) => {
        assert.ok(err instanceof StoreUnavailableError);
        assert.match(err.message, /SQLITE_READONLY/);
        return true;
      });
      await assert.rejects(store.events.append([newEvent(app.id, 'c')]), StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  test('a write lock held past busy_timeout rejects with StoreUnavailableError (SQLITE_BUSY)', async () => {
    const path = tmpDb();
    const store = new SqliteStore(path, { busyTimeoutMs: 50 });
    await store.migrate();
    const other = new Database(path); // another process, e.g. the CLI, mid-write
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.events.append([newEvent('a', 'c')]), (err: Error) => {
        assert.ok(err instanceof StoreUnavailableError);
        assert.match(err.message, /SQLITE_BUSY/);
        return true;
      });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await store.events.append([newEvent('a', 'c')]); // fine once released
    await store.close();
  });

  test('appends commit off the main thread: the event loop runs while a commit waits for the lock', async () => {
    const path = tmpDb();
    const store = new SqliteStore(path, { busyTimeoutMs: 5000 });
    await store.migrate();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    // Released by a timer on this thread: a commit that blocked this thread would wait out its
    // busy timeout with the timer unable to fire.
    let released = false;
    setTimeout(() => {
      other.exec('ROLLBACK');
      released = true;
    }, 100);
    const [e] = await store.events.append([newEvent('a', 'c')]);
    assert.ok(released, 'the commit finished after the timer released the lock');
    assert.equal(
      (await store.events.channelEvents('a', 'c', { skip: 0, count: 10 }))[0].seq,
      e.seq,
      'visible to the main connection',
    );
    other.close();
    await store.close();
  });

  test('the readiness ping waits for the lock off the main thread, and reports a held lock', async () => {
    const path = tmpDb();
    const store = new SqliteStore(path, { busyTimeoutMs: 5000 });
    await store.migrate();
    await store.events.append([newEvent('a', 'c')]); // the writer thread runs (the first pings start it)
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    // As above: the timer can release the lock only if the ping's wait leaves this thread free.
    let released = false;
    setTimeout(() => {
      other.exec('ROLLBACK');
      released = true;
    }, 100);
    await store.ping();
    assert.ok(released, 'the ping finished after the timer released the lock');
    other.close();
    await store.close();
    // A lock held past the (thread's) busy timeout: not ready, named as such.
    const shortPath = tmpDb();
    const short = new SqliteStore(shortPath, { busyTimeoutMs: 50 });
    await short.migrate();
    await short.events.append([newEvent('a', 'c')]);
    const holder = new Database(shortPath);
    holder.exec('BEGIN EXCLUSIVE');
    await assert.rejects(short.ping(), (err: StoreUnavailableError) => /SQLITE_BUSY/.test(err.reply));
    holder.exec('ROLLBACK');
    holder.close();
    await short.close();
  });

  test('the readiness ping fails while the file or its WAL is not writable, and passes once it is', async () => {
    const path = tmpDb();
    const store = new SqliteStore(path);
    await store.migrate();
    await store.events.append([newEvent('a', 'c')]); // the writer thread runs, the WAL exists
    await store.ping();
    try {
      for (const file of [path, `${path}-wal`]) {
        const restore = readOnly(file);
        try {
          await assert.rejects(store.ping(), (err: StoreUnavailableError) => {
            assert.ok(err instanceof StoreUnavailableError);
            assert.ok(err.message.includes(`${file} is not writable`), err.message);
            return true;
          });
        } finally {
          restore();
        }
        await store.ping();
      }
    } finally {
      await store.close();
    }
  });

  test('a queue claim with nothing due takes no write lock (a held lock does not fail the poll)', async () => {
    const path = tmpDb();
    const store = new SqliteStore(path, { mainBusyTimeoutMs: 50 });
    await store.migrate();
    const later = Date.now() + 60_000;
    const job = { appId: 'a', url: 'http://127.0.0.1:1/hook', body: '{}', createdAt: Date.now() };
    await store.webhooks.enqueue([{ ...job, nextAttemptAt: later }]);
    const other = new Database(path); // another process, e.g. the CLI, mid-write
    other.exec('BEGIN IMMEDIATE');
    try {
      assert.deepEqual(await store.webhooks.claim(Date.now(), 30_000, 10), []);
      // Something due needs the lock: the claim then waits its short busy timeout and gives up.
      await assert.rejects(store.webhooks.claim(later, 30_000, 10), /SQLITE_BUSY/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await store.webhooks.claim(later, 30_000, 10)).length, 1);
    await store.close();
  });

  test('appends made while the store closes are refused, and no writer thread outlives it', async () => {
    const store = new SqliteStore(tmpDb());
    await store.migrate();
    const first = store.events.append([newEvent('a', 'c')]);
    const closing = store.close();
    await assert.rejects(store.events.append([newEvent('a', 'c')]), StoreUnavailableError);
    await first; // already handed to the writer: committed before it stops
    await closing;
    await assert.rejects(store.events.append([newEvent('a', 'c')]), StoreUnavailableError);
  });

  test('a missing file opened read-only, and a closed store, are unavailable', async () => {
    assert.throws(() => new SqliteStore(join(tmp, 'missing.db'), { readonly: true }), StoreUnavailableError);
    const store = new SqliteStore(tmpDb());
    await store.migrate();
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.apps.list(), StoreUnavailableError);
  });

  test('acknowledged appends survive SIGKILL', async () => {
    const path = tmpDb();
    const fixture = fileURLToPath(new URL('./fixtures/append-and-hang.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, '20'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        acked = [...out.matchAll(/acked (\d+)/g)].map((m) => Number(m[1]));
        if (acked.length === 20) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const store = new SqliteStore(path);
    await store.migrate();
    const events = await store.events.channelEvents('app', 'c', { skip: 0, count: 100 });
    assert.deepEqual(events.map((e) => e.seq).reverse(), acked);
    await store.close();
  });
});

describe('PostgresStore specifics', { skip: target.available ? false : target.reason }, () => {
  test('tables live in the configured schema', async () => {
    if (!target.available) return;
    const store = await openStore({ databaseUrl: target.url, databaseSchema: target.schema, sqlitePath: 'unused' });
    assert.equal(store.kind, 'postgres');
    await store.close();
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [target.schema],
      );
      assert.deepEqual(
        rows.map((r) => r.table_name),
        ['apps', 'deliveries', 'events', 'notify_targets', 'queue_items', 'schema_migrations', 'subscriptions'],
      );
    } finally {
      await client.end();
    }
  });

  test('an idle pooled connection killed by the server (57P01) does not crash; the pool recovers', async () => {
    if (!target.available) return;
    const errors: Error[] = [];
    const appName = `pushi_kill_${Date.now()}`;
    const url = `${target.url}${target.url.includes('?') ? '&' : '?'}application_name=${appName}`;
    const store = new PostgresStore(url, { schema: target.schema, poolSize: 1, onError: (e) => errors.push(e) });
    await store.ping();
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]);
    await admin.end();
    for (let i = 0; i < 40 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((errors[0] as { code?: string } | undefined)?.code, '57P01');
    await store.ping(); // on a fresh connection
    await store.close();
  });
});

describe('PostgresStore unreachable', () => {
  test('a closed port gives StoreUnavailableError', async () => {
    const store = new PostgresStore('postgres://postgres@127.0.0.1:1/test');
    for (const attempt of [store.ping(), store.migrate(), store.events.append([newEvent('a', 'c')])]) {
      await assert.rejects(attempt, (err: Error) => {
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.match(err.message, /PostgreSQL at 127\.0\.0\.1:1\/test unavailable/);
        return true;
      });
    }
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError); // used after close
  });

  test('openStore rejects and releases the pool when the database is down', async () => {
    await assert.rejects(
      openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/test', sqlitePath: 'unused' }),
      StoreUnavailableError,
    );
  });
});
