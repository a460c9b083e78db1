// A PostgreSQL that stops answering without refusing (a black-holed path: connections stay open,
// nothing comes back). Every store call has a deadline: persisted triggers answer 503, /ready
// answers 503 naming the store, a subscribe whose history read misses its deadline succeeds
// without history while the socket's messages that do not depend on it (a ping, other channels)
// are answered first, and app records keep being served from the cache so connections and plain
// triggers are not slowed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, APP, type TestServer } from '../helpers/server.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { postgresForTests, type PostgresTarget } from '../helpers/postgres.ts';
import { signedFetch } from '../helpers/signed-fetch.ts';
import { TcpProxy } from '../hardening/fault-kit.ts';

// First, so that in CI an unreachable PostgreSQL fails the file before any test starts.
const target = await postgresForTests();
if (!target.available) console.log(`# ${target.reason}`);
else after(target.dropSchema);

type Json = Record<string, any>;
const READ_MS = 1000;
const WRITE_MS = 2000;

async function trigger(s: TestServer, body: Json) {
  const started = Date.now();
  const res = await signedFetch(s.httpUrl, `/apps/${APP.id}/events`, {
    method: 'POST',
    body: { name: 'e', data: '{}', ...body },
  });
  return { status: res.status, body: (await res.json()) as Json, ms: Date.now() - started };
}

async function ready(s: TestServer) {
  const started = Date.now();
  const res = await fetch(`${s.httpUrl}/ready`, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as Json, ms: Date.now() - started };
}

describe('PostgreSQL black-holed under a running server', { skip: target.available ? false : target.reason }, () => {
  test('deadlines answer for the store; live traffic and new sockets carry on', { timeout: 90_000 }, async () => {
    const pgTarget = target as Extract<PostgresTarget, { available: true }>;
    const u = new URL(pgTarget.url);
    const proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.up();
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    const s = await startServer({
      env: {
        PUSHI_APP_PERSIST: '1',
        DATABASE_URL: u.toString(),
        DATABASE_SCHEMA: pgTarget.schema,
        PUSHI_STORE_READ_TIMEOUT_MS: String(READ_MS),
        PUSHI_STORE_WRITE_TIMEOUT_MS: String(WRITE_MS),
      },
    });
    try {
      const live = await RawClient.established(s.wsUrl());
      assert.equal((await live.subscribe('live')).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await trigger(s, { channel: 'live', name: 'before' })).status, 200);
      await live.waitFor((f) => f.event === 'before');

      proxy.hold();
      // A stored trigger cannot be acknowledged: 503 once the write deadline passes, not a hang.
      const stored = await trigger(s, { channel: 'live', name: 'lost' });
      assert.equal(stored.status, 503, JSON.stringify(stored.body));
      assert.match(
        stored.body.error,
        /Storage unavailable: postgres unavailable \(events\.append\): no answer within 2000 ms/,
      );
      assert.ok(stored.ms < WRITE_MS + 3000, `answered in ${stored.ms} ms`);

      // Readiness answers (within its deadline, generously bounded) and names the store.
      const r = await ready(s);
      assert.equal(r.status, 503);
      assert.match(r.body.checks.store, /^down: postgres unavailable \([\w.]+\)/);
      assert.ok(r.ms < READ_MS + 2000, `/ready answered in ${r.ms} ms`);

      // The app's cache entry is past its 2 s lifetime by now: served stale, not waited for.
      const t0 = Date.now();
      const fresh = await RawClient.established(s.wsUrl());
      assert.ok(Date.now() - t0 < READ_MS, `connected in ${Date.now() - t0} ms`);
      const plain = await trigger(s, { channel: 'live', name: 'volatile', persist: false });
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      assert.ok(plain.ms < READ_MS, `plain trigger answered in ${plain.ms} ms`);
      await live.waitFor((f) => f.event === 'volatile');

      // Subscribing reads the history (the app stores every event). While that read waits, the
      // socket's other traffic goes ahead: a subscribe to another channel (one already joined,
      // confirmed without a read) and the ping behind it are answered first. The unsubscribe of the
      // waiting channel waits for it: the subscribe succeeds (without history), then it is left.
      const from = live.frames.length;
      live.send({ event: 'pusher:subscribe', data: { channel: 'history-less' } });
      live.send({ event: 'pusher:subscribe', data: { channel: 'live' } });
      live.send({ event: 'pusher:unsubscribe', data: { channel: 'history-less' } });
      live.send({ event: 'pusher:ping', data: {} });
      const ok = await live.waitFor(
        (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === 'history-less',
        READ_MS + 3000,
      );
      assert.equal((JSON.parse(ok.data as string) as Json).events, undefined);
      assert.deepEqual(
        live.frames.slice(from).map((f) => `${f.event} ${f.channel ?? ''}`),
        [
          'pusher_internal:subscription_succeeded live',
          'pusher:pong ',
          'pusher_internal:subscription_succeeded history-less',
        ],
      );
      assert.equal((await trigger(s, { channel: 'history-less', name: 'left', persist: false })).status, 200);
      assert.equal((await trigger(s, { channel: 'live', name: 'barrier', persist: false })).status, 200);
      await live.waitFor((f) => f.event === 'barrier');
      assert.equal(live.events('left').length, 0, 'the unsubscribe ran after the subscribe it followed');
      assert.equal(live.closeCode, undefined);

      proxy.release();
      const deadline = Date.now() + 30_000;
      while ((await ready(s)).status !== 200) {
        assert.ok(Date.now() < deadline, 'ready again within 30 s of the path coming back');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal((await trigger(s, { channel: 'live', name: 'after' })).status, 200);
      assert.equal(typeof (await live.waitFor((f) => f.event === 'after')).mid, 'string');
      live.close();
      fresh.close();
    } finally {
      proxy.release();
      await s.close();
      await proxy.down();
    }
  });
});
