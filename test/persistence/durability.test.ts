// Durability: persisted triggers fired in a burst through the official `pusher` SDK, the server
// process SIGKILLed mid-burst, restarted on the same database: every acknowledged event is in the
// channel history and in each subscriber's personal history, and every subscription survives.
// Runs on SQLite and on PostgreSQL.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Pusher from 'pusher';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { postgresForTests } from '../helpers/postgres.ts';
import { signedFetch } from '../helpers/signed-fetch.ts';

// First, so that in CI an unreachable PostgreSQL fails the file before any test starts.
const pgTarget = await postgresForTests();
if (!pgTarget.available) console.log(`# ${pgTarget.reason}`);
else after(pgTarget.dropSchema);

const APP = { id: 'durable-app', key: 'durable-key', secret: 'durable-secret' };
const TOTAL = 300;
const KILL_AFTER = 150; // acknowledged triggers before the SIGKILL
const WORKERS = 30; // requests in flight at once
const channelOf = (i: number) => (i % 3 === 0 ? 'news' : 'orders');

interface WireEvent {
  mid: string;
  channel: string;
  event: string;
  data: string;
  timestamp: number;
}

async function api(
  s: ChildServer,
  method: string,
  path: string,
  o: { body?: unknown; query?: Record<string, string> } = {},
) {
  const res = await signedFetch(s.httpUrl, `/apps/${APP.id}${path}`, {
    method,
    key: APP.key,
    secret: APP.secret,
    ...o,
  });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(body)}`);
  return body;
}

/** Every stored event of a channel (newest first), read in pages of 100. */
async function history(s: ChildServer, channel: string): Promise<WireEvent[]> {
  const all: WireEvent[] = [];
  for (let skip = 0; ; skip += 100) {
    const body = await api(s, 'GET', `/channels/${channel}/events`, { query: { skip: String(skip), count: '100' } });
    const events = body.events as WireEvent[];
    all.push(...events);
    if (events.length < 100) return all;
  }
}

const indexOf = (e: WireEvent) => (JSON.parse(e.data) as { i: number }).i;

/**
 * Fires TOTAL persisted triggers with WORKERS in flight; SIGKILLs the server once KILL_AFTER are
 * acknowledged. Returns the acknowledged indexes, the attempted ones and how the process ended.
 */
async function burstAndKill(s: ChildServer) {
  const sdk = s.sdk(APP);
  const acked = new Set<number>();
  const attempted = new Set<number>();
  const errorsBeforeKill: string[] = [];
  let next = 0;
  let killing: ReturnType<ChildServer['kill']> | undefined;
  const worker = async () => {
    while (!killing && next < TOTAL) {
      const i = next++;
      attempted.add(i);
      try {
        const res = await sdk.trigger(channelOf(i), 'tick', { i }, { persist: true } as Pusher.TriggerParams);
        if (res.status === 200) acked.add(i);
      } catch (err) {
        // Refused or reset once the process is gone: simply not acknowledged.
        if (!killing) errorsBeforeKill.push(String((err as { body?: string }).body ?? err));
      }
      if (acked.size >= KILL_AFTER && !killing) killing = s.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const exit = await (killing ?? s.kill('SIGKILL'));
  return { acked, attempted, exit, errorsBeforeKill };
}

function durabilitySuite(name: string, env: () => Record<string, string>, skip: string | false) {
  describe(`durability on ${name}`, { skip }, () => {
    test(
      'every acknowledged persisted trigger and every subscription survives SIGKILL',
      { timeout: 180_000 },
      async (t) => {
        const base = { PUSHI_APPS_FILE: appsFile, ...env() };
        const first = await startChildServer(base);
        let second: ChildServer | undefined;
        try {
          // Offline subscriptions: alice follows orders, bob orders and news; carol unsubscribed again.
          for (const [user, channel] of [
            ['alice', 'orders'],
            ['bob', 'orders'],
            ['bob', 'news'],
            ['carol', 'news'],
          ]) {
            const body = await api(first, 'POST', '/subscribe', { body: { user_id: user, event: channel } });
            assert.equal(body.created, true);
          }
          assert.equal(
            (await api(first, 'POST', '/unsubscribe', { body: { user_id: 'carol', event: 'news' } })).removed,
            true,
          );

          const { acked, attempted, exit, errorsBeforeKill } = await burstAndKill(first);
          assert.deepEqual(errorsBeforeKill, [], 'no trigger failed before the kill');
          assert.equal(exit.signal, 'SIGKILL', `the server died of the SIGKILL, not on its own: ${first.output()}`);
          assert.ok(
            acked.size >= KILL_AFTER && acked.size < TOTAL,
            `killed mid-burst (${acked.size} of ${TOTAL} acknowledged)`,
          );

          second = await startChildServer(base);
          const stored = new Map<string, WireEvent[]>();
          for (const channel of ['orders', 'news']) {
            const events = await history(second, channel);
            stored.set(channel, events);
            const indexes = events.map(indexOf);
            assert.equal(new Set(indexes).size, indexes.length, `${channel}: no event stored twice`);
            assert.equal(new Set(events.map((e) => e.mid)).size, events.length, `${channel}: mids are unique`);
            for (const e of events) {
              assert.equal(e.channel, channel);
              assert.equal(e.event, 'tick');
              assert.equal(typeof e.timestamp, 'number');
              assert.ok(attempted.has(indexOf(e)), `${channel}: event ${indexOf(e)} was never sent`);
            }
            const missing = [...acked].filter((i) => channelOf(i) === channel && !indexes.includes(i));
            assert.deepEqual(missing, [], `${channel}: acknowledged events lost in the crash`);
          }

          t.diagnostic(
            `${acked.size} of ${attempted.size} sent acknowledged; ${stored.get('orders')!.length + stored.get('news')!.length} stored`,
          );
          // Personal histories hold exactly the events of the user's channels, in the same order.
          const orders = stored.get('orders')!.map((e) => e.mid);
          const news = stored.get('news')!.map((e) => e.mid);
          const alice = (await history(second, 'personal-alice')).map((e) => e.mid);
          assert.deepEqual(alice, orders, 'alice has every stored orders event, newest first');
          const bob = await history(second, 'personal-bob');
          assert.deepEqual(
            bob.filter((e) => e.channel === 'orders').map((e) => e.mid),
            orders,
          );
          assert.deepEqual(
            bob.filter((e) => e.channel === 'news').map((e) => e.mid),
            news,
          );
          assert.equal(bob.length, orders.length + news.length);
          assert.deepEqual(await history(second, 'personal-carol'), [], 'carol unsubscribed before the burst');

          const listed = async (query: Record<string, string>) =>
            (
              (await api(second!, 'GET', '/subscriptions', { query })).subscriptions as {
                user_id: string;
                event: string;
              }[]
            )
              .map((s) => `${s.user_id}:${s.event}`)
              .sort();
          assert.deepEqual(await listed({ user_id: 'bob' }), ['bob:news', 'bob:orders']);
          assert.deepEqual(await listed({ user_id: 'alice' }), ['alice:orders']);
          assert.deepEqual(await listed({ event: 'orders' }), ['alice:orders', 'bob:orders']);
          assert.deepEqual(await listed({ user_id: 'carol' }), []);

          // The recovered database keeps working: a new persisted trigger becomes the newest event.
          await second
            .sdk(APP)
            .trigger('orders', 'after-restart', { i: -1 }, { persist: true } as Pusher.TriggerParams);
          const [newest] = (await api(second, 'GET', '/channels/personal-alice/events', { query: { count: '1' } }))
            .events as WireEvent[];
          assert.equal(newest!.event, 'after-restart');
          assert.ok(!orders.includes(newest!.mid));
        } finally {
          await first.kill('SIGKILL');
          if (second) {
            await second.kill('SIGTERM');
          }
        }
      },
    );
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'pushi-durable-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
// The burst must not meet the per-app API rate limit (100/s by default), hence a file-defined app.
const appsFile = join(tmp, 'apps.json');
writeFileSync(
  appsFile,
  JSON.stringify({ apps: [{ ...APP, name: 'durable', options: { maxApiRequestsPerSecond: 0 } }] }),
);
durabilitySuite('SQLite', () => ({ PUSHI_DB: join(tmp, 'pushi.db') }), false);

durabilitySuite(
  'PostgreSQL',
  (): Record<string, string> =>
    pgTarget.available ? { DATABASE_URL: pgTarget.url, DATABASE_SCHEMA: pgTarget.schema } : {},
  pgTarget.available ? false : pgTarget.reason,
);
