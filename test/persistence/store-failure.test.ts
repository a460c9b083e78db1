// Storage failures: with the store gone (SQLite closed under a running server, PostgreSQL behind a
// proxy that goes down, a PostgreSQL schema dropped mid-run) persisted work answers 503 naming the
// problem, /ready is degraded, live traffic keeps flowing, and nothing crashes or answers 500.
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startServer, APP, type TestServer } from '../helpers/server.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { onSamePort } from '../helpers/ports.ts';
import { postgresForTests, type PostgresTarget } from '../helpers/postgres.ts';
import { signedFetch, type SignedFetchOptions } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

// First, so that in CI an unreachable PostgreSQL fails the file before any test starts.
const proxied = await postgresForTests();
const dropped = proxied.available ? await postgresForTests() : proxied;
if (!proxied.available) console.log(`# ${proxied.reason}`);
for (const t of [proxied, dropped]) if (t.available) after(t.dropSchema);
const pgSkip = proxied.available ? false : proxied.reason;

// The test app stores every event unless told otherwise, so "live only" traffic says persist: false.
const ENV = { PUSHI_APP_PERSIST: '1', PUSHI_APP_CLIENT_EVENTS: '1' };
type Json = Record<string, any>;
interface Target {
  httpUrl: string;
  wsUrl: (key?: string) => string;
}

// Anything that goes wrong in this process while the store is down (in-process servers).
const trouble: string[] = [];
process.on('unhandledRejection', (r) => trouble.push(`unhandled rejection: ${String((r as Error)?.stack ?? r)}`));
process.on('warning', (w) => w.message.startsWith('pushi:') && trouble.push(w.message));

async function call(t: Target, statuses: number[], path: string, o: SignedFetchOptions = {}) {
  const res = await signedFetch(t.httpUrl, path, o);
  statuses.push(res.status);
  return { status: res.status, body: (await res.json()) as Json };
}

const trigger = (t: Target, statuses: number[], body: Json) =>
  call(t, statuses, `/apps/${APP.id}/events`, { method: 'POST', body: { data: '{}', ...body } });

async function privateClient(t: Target, channel: string) {
  const c = await RawClient.established(t.wsUrl());
  const ok = await c.subscribe(channel, channelAuth(APP.key, APP.secret, c.socketId, channel));
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded', c.raw.join(' | '));
  return c;
}

/** Joins `live` and proves a stored trigger reaches it, while the store still works. */
async function healthyBaseline(t: Target): Promise<RawClient> {
  const live = await RawClient.established(t.wsUrl());
  assert.equal((await live.subscribe('live')).event, 'pusher_internal:subscription_succeeded');
  const ok = await trigger(t, [], { name: 'stored-ok', channel: 'live' });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(typeof (await live.waitFor((f) => f.event === 'stored-ok')).mid, 'string');
  return live;
}

/** Everything the issue asks of a node whose store is down; `problem` must appear in 503 bodies. */
async function assertDegraded(t: Target, live: RawClient, problem: RegExp): Promise<void> {
  const statuses: number[] = [];
  const unavailable = (r: { status: number; body: Json }, what: string) => {
    assert.equal(r.status, 503, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, /Storage unavailable/, what);
    assert.match(r.body.error, problem, what);
    // The log names the database's host, port, name or file; a client is never told them.
    assert.doesNotMatch(r.body.error, /127\.0\.0\.1|\/test\b|\.db\b|postgres:/, what);
  };
  unavailable(await trigger(t, statuses, { name: 'lost', channel: 'live' }), 'persisted trigger (app default)');
  unavailable(await trigger(t, statuses, { name: 'lost', channel: 'other', persist: true }), 'persist: true');
  const batch = await call(t, statuses, `/apps/${APP.id}/batch_events`, {
    method: 'POST',
    body: { batch: [{ name: 'lost', channel: 'live', data: '{}' }] },
  });
  unavailable(batch, 'batch trigger');
  unavailable(
    await call(t, statuses, `/apps/${APP.id}/subscribe`, { method: 'POST', body: { user_id: 'u1', event: 'live' } }),
    'subscribe',
  );
  unavailable(
    await call(t, statuses, `/apps/${APP.id}/subscriptions`, { query: { user_id: 'u1' } }),
    'list subscriptions',
  );
  unavailable(await call(t, statuses, `/apps/${APP.id}/channels/live/events`), 'history');

  const ready = await fetch(`${t.httpUrl}/ready`);
  const readyBody = (await ready.json()) as Json;
  assert.equal(ready.status, 503);
  assert.equal(readyBody.status, 'degraded');
  assert.match(readyBody.checks.store, /^down: /);
  assert.doesNotMatch(readyBody.checks.store, /127\.0\.0\.1|\/test\b|\.db\b/);
  assert.equal((await fetch(`${t.httpUrl}/health`)).status, 200, 'the process itself is alive');

  // Live traffic: a non-persisted trigger reaches the client subscribed before the failure.
  assert.equal((await trigger(t, statuses, { name: 'volatile', channel: 'live', persist: false })).status, 200);
  const got = await live.waitFor((f) => f.event === 'volatile');
  assert.equal(got.mid, undefined);
  assert.ok(!live.frames.some((f) => f.event === 'lost'), 'an event that was not stored was not sent either');

  // New connections subscribe (without history) and exchange non-persisted client events.
  const [a, b] = [await privateClient(t, 'private-chat'), await privateClient(t, 'private-chat')];
  a.send({ event: 'client-live', channel: 'private-chat', data: { n: 1 }, persist: false });
  assert.deepEqual((await b.waitFor((f) => f.event === 'client-live')).data, { n: 1 });
  // A client event that must be stored is refused with a clear error, not sent half-way.
  a.send({ event: 'client-stored', channel: 'private-chat', data: { n: 2 } });
  assert.match(decode(await a.next('pusher:error')).message, /Storage unavailable/);
  // History and personal channels need the store: clear errors, the socket stays usable.
  a.send({ event: 'pusher:latest', data: { channel: 'private-chat', count: 5 } });
  assert.match(decode(await a.next('pusher:error')).message, /Storage unavailable/);
  const personal = await a.subscribe('personal-u1', channelAuth(APP.key, APP.secret, a.socketId, 'personal-u1'));
  assert.equal(personal.event, 'pusher:subscription_error');
  assert.match(decode(personal).error, /Storage unavailable/);
  a.send({ event: 'client-after', channel: 'private-chat', data: { n: 3 }, persist: false });
  assert.deepEqual((await b.waitFor((f) => f.event === 'client-after')).data, { n: 3 });
  assert.ok(!b.frames.some((f) => f.event === 'client-stored'));
  for (const c of [a, b]) assert.equal(c.closeCode, undefined, 'no socket was closed');
  a.close();
  b.close();

  assert.ok(!statuses.some((s) => s >= 500 && s !== 503), `no 500s: ${statuses.join(', ')}`);
}

describe('SQLite store closed under a running server', () => {
  let s: TestServer;
  beforeEach(async () => {
    trouble.length = 0;
    s = await startServer({ env: ENV });
  });
  afterEach(() => s.close());

  test('503 naming SQLite, /ready degraded, live traffic flows, no crash', async () => {
    const live = await healthyBaseline(s);
    await s.server.store.close();
    await assertDegraded(s, live, /SQLite unavailable/);
    // Past the app cache's 2 s lifetime (nothing observable to wait on) the server keeps the last
    // known app rather than refusing sockets.
    await new Promise((r) => setTimeout(r, 2100));
    const late = await RawClient.established(s.wsUrl());
    assert.equal((await late.subscribe('late')).event, 'pusher_internal:subscription_succeeded');
    late.close();
    live.close();
    assert.deepEqual(trouble, []);
  });

  test('a store call that found SQLite unavailable keeps /ready at 503 for a second, though a ping passes', async () => {
    const live = await healthyBaseline(s);
    const other = new Database(join(s.dataDir, 'pushi.db')); // another process mid-write, e.g. the CLI
    other.exec('BEGIN IMMEDIATE');
    const refused = await trigger(s, [], { name: 'lost', channel: 'live' });
    other.exec('ROLLBACK');
    other.close();
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    await s.server.store.ping(); // the lock is free again: a ping alone would say ready
    const res = await fetch(`${s.httpUrl}/ready`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as Json).checks.store, /^down: .*SQLITE_BUSY/);
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${s.httpUrl}/ready`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'ready again once the failure is a second old');
      await new Promise((r) => setTimeout(r, 100));
    }
    live.close();
    assert.deepEqual(trouble, []);
  });
});

/** A TCP proxy in front of PostgreSQL that can be taken down (connections cut, port refusing) and up again. */
class PgProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly target: { host: string; port: number },
    public port = 0,
  ) {}

  static async start(url: string): Promise<PgProxy> {
    const u = new URL(url);
    const proxy = new PgProxy({ host: u.hostname, port: Number(u.port || 5432) });
    await proxy.up();
    return proxy;
  }

  /** The same URL, through the proxy. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Listens (again on the same port after down(): the server process keeps the proxy's URL). */
  up(): Promise<void> {
    return onSamePort(() => this.listen());
  }

  private listen(): Promise<void> {
    this.server = createTcpServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const sock of [client, upstream]) {
        this.sockets.add(sock);
        sock.on('close', () => this.sockets.delete(sock));
        sock.on('error', () => (sock === client ? upstream : client).destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => {
        this.server!.off('error', reject);
        this.port = (this.server!.address() as { port: number }).port;
        resolve();
      });
    });
  }

  down(): Promise<void> {
    for (const sock of this.sockets) sock.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('PostgreSQL going down under a running server process', { skip: pgSkip }, () => {
  test(
    '503 naming PostgreSQL, /ready degraded, live traffic flows, no crash, recovery',
    { timeout: 120_000 },
    async () => {
      const target = proxied as Extract<PostgresTarget, { available: true }>;
      const proxy = await PgProxy.start(target.url);
      const child: ChildServer = await startChildServer({
        PUSHI_APP_ID: APP.id,
        PUSHI_APP_KEY: APP.key,
        PUSHI_APP_SECRET: APP.secret,
        ...ENV,
        DATABASE_URL: proxy.url(target.url),
        DATABASE_SCHEMA: target.schema,
      });
      const t: Target = { httpUrl: child.httpUrl, wsUrl: (key = APP.key) => child.wsUrl(key) };
      let exited = false;
      void child.exited.then(() => (exited = true));
      try {
        const live = await healthyBaseline(t);
        await proxy.down();
        await assertDegraded(t, live, /PostgreSQL unavailable \([\w.]+\): ECONNREFUSED/);
        assert.match(
          child.output(),
          /"level":50[^\n]*PostgreSQL at \S+ unavailable/,
          'the failure is logged as an error',
        );

        await proxy.up();
        // Recovery: the pool reconnects by itself once the database is back.
        const deadline = Date.now() + 30_000;
        while ((await fetch(`${t.httpUrl}/ready`)).status !== 200) {
          assert.ok(Date.now() < deadline, 'ready again within 30 s of the database coming back');
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal((await trigger(t, [], { name: 'back', channel: 'live' })).status, 200);
        assert.equal(typeof (await live.waitFor((f) => f.event === 'back')).mid, 'string');
        live.close();
        assert.equal(exited, false, `the process survived:\n${child.output()}`);
        assert.doesNotMatch(child.output(), /unhandled rejection|uncaught/i);
        assert.equal((await child.kill('SIGTERM')).code, 0, `clean shutdown:\n${child.output()}`);
      } finally {
        await child.kill('SIGKILL'); // no-op when already gone
        await proxy.down();
      }
    },
  );
});

describe('PostgreSQL schema dropped under a running server', { skip: pgSkip }, () => {
  test('503 naming the missing relation, /ready degraded, live traffic flows', { timeout: 60_000 }, async () => {
    trouble.length = 0;
    const target = dropped as Extract<PostgresTarget, { available: true }>;
    const s = await startServer({ env: { ...ENV, DATABASE_URL: target.url, DATABASE_SCHEMA: target.schema } });
    try {
      const live = await healthyBaseline(s);
      const admin = new pg.Client({ connectionString: target.url });
      await admin.connect();
      await admin.query(`DROP SCHEMA "${target.schema}" CASCADE`);
      await admin.end();
      await assertDegraded(s, live, /PostgreSQL unavailable \([\w.]+\): 42P01/);
      live.close();
      assert.deepEqual(trouble, []);
    } finally {
      await s.close();
    }
  });
});
