// Three real nodes (child processes) on one Redis: events, client events, users, presence and
// the channel queries behave as one server, whichever node a client or an API call lands on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { Receiver } from '../ops/ops-helpers.ts';
import type { ChildServer } from '../helpers/child-server.ts';
import { startRedisCluster } from '../../scripts/redis-cluster.mjs';
import { redisClusterSkipReason } from '../helpers/redis-cluster.ts';
import {
  APP,
  type Client,
  type Cluster,
  got,
  joinPresence,
  OpenClients,
  privateAuth,
  REDIS_URL,
  redisSkipReason,
  signin,
  startCluster,
  waitUntil,
} from './helpers.ts';

const skip = await redisSkipReason();
const clusterSkip = redisClusterSkipReason();
const T = 10_000;
/** A second app: presence channels of two members (the limit is cluster-wide), and webhooks. */
const SMALL = {
  id: 'small-app',
  key: 'small-key',
  secret: 'small-secret',
  options: { maxPresenceMembers: 2, webhookBatchMs: 50, webhooks: [] as unknown[] },
};
const HOOKED = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'];

/** The same guarantees on one Redis server and on a local three-master Redis Cluster. */
const backends: [string, () => Promise<{ url: string; stop(): Promise<void> }>][] = [
  ['one Redis', async () => ({ url: REDIS_URL, stop: async () => undefined })],
  ['a Redis Cluster', () => startRedisCluster({ masters: 3 })],
];

for (const [backend, startRedis] of backends)
  describe(
    `three nodes on ${backend}`,
    { skip: skip ?? (backend !== 'one Redis' ? clusterSkip : undefined), timeout: 240_000 },
    () => {
      let cluster: Cluster;
      let redis: { url: string; stop(): Promise<void> } | undefined;
      let nodes: ChildServer[];
      const clients = new OpenClients();
      const client = (node: ChildServer) => clients.connect(node);
      const sdk = (i: number) => nodes[i].sdk(APP);
      /** Every earlier event on `channel` has arrived once this one has (order is kept per channel). */
      const settle = async (channel: string, clients: Client[], via = 0) => {
        const mark = `${Date.now()}-${Math.random()}`;
        await sdk(via).trigger(channel, 'sentinel', { mark });
        await Promise.all(
          clients.map((c) =>
            c.waitFor((f) => f.event === 'sentinel' && f.channel === channel && (f.data as string).includes(mark), T),
          ),
        );
      };
      const query = async (i: number, path: string, params: Record<string, string> = {}) => {
        const res = await sdk(i).get({ path, params });
        return (await res.json()) as Record<string, unknown>;
      };
      const userIds = async (i: number, channel: string) =>
        ((await query(i, `/channels/${channel}/users`)).users as { id: string }[]).map((u) => u.id).sort();

      const dir = mkdtempSync(join(tmpdir(), 'pushi-cluster-apps-'));
      let rx: Receiver;
      before(async () => {
        rx = await Receiver.start();
        SMALL.options.webhooks = [
          { url: `${rx.url}/hooks`, events: HOOKED, channelPrefix: 'hook-' },
          { url: `${rx.url}/hooks`, events: HOOKED, channelPrefix: 'presence-hook' },
        ];
        writeFileSync(join(dir, 'apps.json'), JSON.stringify([SMALL]));
        redis = await startRedis();
        const env = { PUSHI_APP_SUBSCRIPTION_COUNT: '1', PUSHI_APPS_FILE: join(dir, 'apps.json') };
        cluster = await startCluster(3, env, redis.url);
        nodes = cluster.nodes;
      });
      after(async () => {
        clients.closeAll();
        await cluster?.close();
        await redis?.stop();
        await rx?.close();
        rmSync(dir, { recursive: true, force: true });
      });

      test('an event triggered on any node reaches every subscriber once, in order; socket_id excludes across nodes', async () => {
        const cs = await Promise.all(nodes.map(client));
        for (const c of cs) await c.subscribe('orders');
        for (let i = 0; i < 15; i++) await sdk(i % 3).trigger('orders', 'n', { i });
        await settle('orders', cs, 2);
        for (const c of cs)
          assert.deepEqual(
            got(c, 'n', 'orders'),
            Array.from({ length: 15 }, (_, i) => ({ i })),
          );

        await sdk(0).trigger('orders', 'x', { skip: 'b' }, { socket_id: cs[1].socketId });
        await settle('orders', cs, 1);
        assert.equal(got(cs[0], 'x').length, 1);
        assert.equal(got(cs[1], 'x').length, 0, 'excluded socket on another node got the event');
        assert.equal(got(cs[2], 'x').length, 1);
      });

      test('client events cross nodes, never back to the sender', async () => {
        const cs = await Promise.all(nodes.map(client));
        for (const c of cs)
          assert.equal(
            (await c.subscribe('private-chat', privateAuth(c, 'private-chat'))).event,
            'pusher_internal:subscription_succeeded',
          );
        cs[0].send({ event: 'client-hi', channel: 'private-chat', data: { from: 'a' } });
        await cs[1].waitFor((f) => f.event === 'client-hi', T);
        await cs[2].waitFor((f) => f.event === 'client-hi', T);
        await settle('private-chat', cs, 1);
        assert.deepEqual(got(cs[1], 'client-hi'), [{ from: 'a' }]);
        assert.deepEqual(got(cs[2], 'client-hi'), [{ from: 'a' }]);
        assert.equal(got(cs[0], 'client-hi').length, 0);
      });

      test('sendToUser and terminate_connections reach the user on every node', async () => {
        const onB = await client(nodes[1]);
        const onC = await client(nodes[2]);
        for (const c of [onB, onC]) {
          await signin(c, { id: 'alice' });
          await c.subscribe('#server-to-user-alice');
        }
        await sdk(0).sendToUser('alice', 'note', { hello: 'alice' });
        for (const c of [onB, onC])
          assert.deepEqual(JSON.parse((await c.waitFor((f) => f.event === 'note', T)).data as string), {
            hello: 'alice',
          });
        await sdk(0).terminateUserConnections('alice');
        assert.equal(await onB.waitClose(T), 4009);
        assert.equal(await onC.waitClose(T), 4009);
      });

      test('presence spans nodes: member_added on the first connection anywhere, member_removed on the last', async () => {
        const ch = 'presence-room';
        const watcher = await client(nodes[2]);
        assert.deepEqual((await joinPresence(watcher, ch, 'watcher')).ids, ['watcher']);

        const alice1 = await client(nodes[0]);
        const list = await joinPresence(alice1, ch, 'alice');
        assert.deepEqual(list.ids.sort(), ['alice', 'watcher']);
        assert.deepEqual(list.hash.watcher, { name: 'watcher' });
        await watcher.waitFor((f) => f.event === 'pusher_internal:member_added', T);

        const alice2 = await client(nodes[1]);
        const bob = await client(nodes[1]);
        assert.deepEqual((await joinPresence(alice2, ch, 'alice')).ids.sort(), ['alice', 'watcher']);
        assert.deepEqual((await joinPresence(bob, ch, 'bob')).ids.sort(), ['alice', 'bob', 'watcher']);
        await settle(ch, [watcher, alice1, alice2, bob]);
        assert.deepEqual(got(watcher, 'pusher_internal:member_added'), [
          { user_id: 'alice', user_info: { name: 'alice' } },
          { user_id: 'bob', user_info: { name: 'bob' } },
        ]);
        assert.deepEqual(got(alice1, 'pusher_internal:member_added'), [{ user_id: 'bob', user_info: { name: 'bob' } }]);

        // One of alice's two connections goes: she is still there (wait until node A has processed it).
        alice1.close();
        await waitUntil(
          async () => (await query(2, `/channels/${ch}`, { info: 'subscription_count' })).subscription_count === 3,
          T,
          'A to drop alice1',
        );
        await settle(ch, [watcher, bob]);
        assert.equal(got(watcher, 'pusher_internal:member_removed').length, 0);
        assert.deepEqual(await userIds(2, ch), ['alice', 'bob', 'watcher']);

        // Her last connection goes: everyone else hears it once.
        alice2.send({ event: 'pusher:unsubscribe', data: { channel: ch } });
        for (const c of [watcher, bob])
          assert.deepEqual(
            JSON.parse((await c.waitFor((f) => f.event === 'pusher_internal:member_removed', T)).data as string),
            { user_id: 'alice' },
          );
        await settle(ch, [watcher, bob]);
        assert.equal(got(watcher, 'pusher_internal:member_removed').length, 1);
        assert.deepEqual(await userIds(0, ch), ['bob', 'watcher']);
      });

      test('one user joining on three nodes at once is added once; leaving from all at once, removed once', async () => {
        const ch = 'presence-race';
        const watcher = await client(nodes[0]);
        await joinPresence(watcher, ch, 'watcher');
        const racers = await Promise.all(nodes.map(client));
        const lists = await Promise.all(racers.map((c) => joinPresence(c, ch, 'racer')));
        for (const l of lists) assert.deepEqual(l.ids.sort(), ['racer', 'watcher']);
        await settle(ch, [watcher]);
        assert.deepEqual(got(watcher, 'pusher_internal:member_added'), [
          { user_id: 'racer', user_info: { name: 'racer' } },
        ]);
        for (const c of racers) c.close();
        await watcher.waitFor((f) => f.event === 'pusher_internal:member_removed', T);
        await waitUntil(
          async () => (await query(1, `/channels/${ch}`, { info: 'subscription_count' })).subscription_count === 1,
          T,
          'racers gone',
        );
        await settle(ch, [watcher]);
        assert.deepEqual(got(watcher, 'pusher_internal:member_removed'), [{ user_id: 'racer' }]);
      });

      test('the presence member limit counts members on every node', async () => {
        const ch = 'presence-small';
        const join = async (node: ChildServer, user: string) => {
          const c = await clients.connect(node, SMALL.key);
          const data = JSON.stringify({ user_id: user });
          return c.subscribe(ch, channelAuth(SMALL.key, SMALL.secret, c.socketId, ch, data), data);
        };
        assert.equal((await join(nodes[0], 'm1')).event, 'pusher_internal:subscription_succeeded');
        assert.equal((await join(nodes[1], 'm2')).event, 'pusher_internal:subscription_succeeded');
        const refused = await join(nodes[2], 'm3');
        assert.equal(refused.event, 'pusher:subscription_error');
        assert.equal(JSON.parse(refused.data as string).status, 4100);
        // A member already in (on another node) may still add a connection.
        assert.equal((await join(nodes[2], 'm1')).event, 'pusher_internal:subscription_succeeded');
      });

      test('occupied/vacated and member webhooks come once per cluster, not once per node', async () => {
        const small = (node: ChildServer) => clients.connect(node, SMALL.key);
        const joinSmall = async (c: Client, ch: string, user: string) => {
          const data = JSON.stringify({ user_id: user });
          return c.subscribe(ch, channelAuth(SMALL.key, SMALL.secret, c.socketId, ch, data), data);
        };
        const cs = await Promise.all(nodes.map(small));
        for (const c of cs) await c.subscribe('hook-news');
        for (const c of cs) await joinSmall(c, 'presence-hook', 'same-user');
        for (const c of cs) c.close();
        const events = () =>
          rx.delivered('/hooks').map((e) => `${e.name} ${e.channel}${e.user_id ? ` ${e.user_id}` : ''}`);
        await rx.until(
          () =>
            events().includes('channel_vacated hook-news') &&
            events().includes('member_removed presence-hook same-user'),
          T,
        );
        // Markers: each node makes one more transition of its own, reported after anything it queued before.
        const markers = await Promise.all(nodes.map(small));
        await Promise.all(markers.map((c, i) => c.subscribe(`hook-mark-${i}`)));
        await rx.until(() => [0, 1, 2].every((i) => events().includes(`channel_occupied hook-mark-${i}`)), T);
        const count = (e: string) => events().filter((x) => x === e).length;
        assert.equal(count('channel_occupied hook-news'), 1);
        assert.equal(count('channel_vacated hook-news'), 1);
        assert.equal(count('channel_occupied presence-hook'), 1);
        assert.equal(count('member_added presence-hook same-user'), 1);
        assert.equal(count('member_removed presence-hook same-user'), 1);
      });

      test('channel queries, occupied and subscription_count answer for the whole cluster', async () => {
        const [a, b, c1, c2] = [
          await client(nodes[0]),
          await client(nodes[1]),
          await client(nodes[2]),
          await client(nodes[2]),
        ];
        await a.subscribe('q-news');
        await b.subscribe('q-news');
        // subscription_count goes to every subscriber with the cluster-wide number.
        await a.waitFor(
          (f) =>
            f.event === 'pusher_internal:subscription_count' && JSON.parse(f.data as string).subscription_count === 2,
          T,
        );
        await joinPresence(a, 'presence-q', 'u1');
        await joinPresence(c1, 'presence-q', 'u2');
        await joinPresence(c2, 'presence-q', 'u2');
        for (const i of [0, 1, 2]) {
          const all = await query(i, '/channels', {
            filter_by_prefix: 'presence-q',
            info: 'user_count,subscription_count',
          });
          assert.deepEqual(all.channels, { 'presence-q': { user_count: 2, subscription_count: 3 } });
          const one = await query(i, '/channels/q-news', { info: 'subscription_count' });
          assert.deepEqual(one, { occupied: true, subscription_count: 2 });
          const listed = (await query(i, '/channels')).channels as Record<string, unknown>;
          assert.ok('q-news' in listed && 'presence-q' in listed);
        }
        a.close();
        b.close();
        await waitUntil(
          async () => (await query(2, '/channels/q-news')).occupied === false,
          T,
          'q-news vacated cluster-wide',
        );
      });

      test('watchlists see users come online and go offline on other nodes', async () => {
        const watcher = await client(nodes[0]);
        await signin(watcher, { id: 'w1', watchlist: ['xavier'] });
        const xavier = await client(nodes[1]);
        await signin(xavier, { id: 'xavier' });
        const online = await watcher.waitFor((f) => f.event === 'pusher_internal:watchlist_events', T);
        assert.deepEqual(JSON.parse(online.data as string), { events: [{ name: 'online', user_ids: ['xavier'] }] });
        // Already online when a second watcher signs in elsewhere.
        const late = await client(nodes[2]);
        await signin(late, { id: 'w2', watchlist: ['xavier', 'nobody'] });
        const seen = await late.waitFor((f) => f.event === 'pusher_internal:watchlist_events', T);
        assert.deepEqual(JSON.parse(seen.data as string), { events: [{ name: 'online', user_ids: ['xavier'] }] });
        xavier.close();
        await watcher.waitFor(
          (f) => f.event === 'pusher_internal:watchlist_events' && (f.data as string).includes('offline'),
          T,
        );
      });

      test('a cache channel remembers a trigger made on another node', async () => {
        await client(nodes[1]); // node B knows the app before the trigger arrives
        await sdk(0).trigger('cache-weather', 'forecast', { sky: 'clear' });
        const c = await client(nodes[1]);
        await c.subscribe('cache-weather');
        const cached = await c.waitFor((f) => f.event === 'forecast', T);
        assert.deepEqual(JSON.parse(cached.data as string), { sky: 'clear' });
        const info = await query(1, '/channels/cache-weather', { info: 'cache' });
        assert.equal((info.cache as { event: string }).event, 'forecast');
      });
    },
  );
