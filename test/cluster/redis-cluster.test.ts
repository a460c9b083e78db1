// Two nodes on a local three-master Redis Cluster: each node hears only its channels (sharded
// pub/sub), and when the master owning a channel restarts (empty: it keeps no data), the nodes
// reconnect, delivery resumes, and a subscriber never misses an event without being told.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { ChildServer } from '../helpers/child-server.ts';
import { redisClusterForFile, redisClusterSkipReason } from '../helpers/redis-cluster.ts';
import type { Frame } from '../helpers/raw-client.ts';
import {
  APP,
  type Client,
  type Cluster,
  inboundMessages,
  OpenClients,
  redisSkipReason,
  startCluster,
  waitUntil,
} from './helpers.ts';

const skip = (await redisSkipReason()) ?? redisClusterSkipReason();
const T = 20_000;

describe('nodes on a Redis Cluster', { skip, timeout: 180_000 }, () => {
  let cluster: Cluster;
  let a: ChildServer;
  let b: ChildServer;
  const clients = new OpenClients();
  // Registered before the Redis Cluster's own `after`: the nodes leave before the masters stop.
  after(async () => {
    clients.closeAll();
    await cluster?.close();
  });
  const rc = redisClusterForFile(3);
  const client = (node: ChildServer) => clients.connect(node);
  const ready = async (n: ChildServer) => (await fetch(`${n.httpUrl}/ready`)).status === 200;

  /** The index (in the cluster's seeds) of the master that owns a channel's slot. */
  async function masterOf(channel: string): Promise<number> {
    const seed = new Redis(rc.cluster.seeds[0].port, '127.0.0.1');
    try {
      const slot = (await seed.call('CLUSTER', 'KEYSLOT', `${cluster.prefix}{${APP.id}:${channel}}`)) as number;
      const ranges = (await seed.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const port = ranges.find(([from, to]) => from <= slot && slot <= to)![2][1];
      return rc.cluster.seeds.findIndex((s) => s.port === port);
    } finally {
      seed.disconnect();
    }
  }

  before(async () => {
    cluster = await startCluster(2, {}, rc.cluster.url);
    [a, b] = cluster.nodes;
  });

  test('a master restarts: delivery resumes, and what a subscriber missed is replayed or announced', async (t) => {
    const channel = 'through-a-restart';
    let sub = await client(a);
    await sub.subscribe(channel);
    const sdk = b.sdk(APP);
    await sdk.trigger(channel, 'before', {});
    let last: Frame = await sub.waitFor((f) => f.event === 'before', T);

    // Triggers keep coming (through the other node) while the channel's master restarts.
    const restart = rc.cluster.restartMaster(await masterOf(channel));
    let restarted = false;
    void restart.then(() => (restarted = true));
    const sent: number[] = [];
    for (let i = 0; !restarted || i < 5; i++) {
      const ok = await sdk.trigger(channel, 'during', { i }).then(
        () => true,
        () => false,
      );
      if (ok) sent.push(i);
    }
    await restart;
    await waitUntil(async () => (await ready(a)) && (await ready(b)), T, 'both nodes ready again');

    // Every accepted trigger is delivered in order, or the subscriber is closed with 4200 and, resuming
    // from the last event it saw, learns whether it was caught up.
    const final = sent[sent.length - 1];
    const outcome = await Promise.race([
      sub.waitFor((f) => f.event === 'during' && JSON.parse(f.data as string).i === final, T).then(() => 'all'),
      sub.waitClose(T).then((code) => `closed ${code}`),
    ]);
    t.diagnostic(`${sent.length} triggers during the restart; the subscriber: ${outcome}`);
    const during = sub.frames.filter((f) => f.event === 'during');
    const seen = during.map((f) => JSON.parse(f.data as string).i as number);
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
      'in order',
    );
    assert.equal(new Set(seen).size, seen.length, 'none twice');
    if (outcome === 'all') {
      assert.deepEqual(seen, sent, 'every accepted trigger arrived');
    } else {
      assert.equal(outcome, 'closed 4200');
      if (during.length) last = during[during.length - 1];
      sub = await client(a);
      sub.send({
        event: 'pusher:subscribe',
        data: { channel, recover: { epoch: last.epoch, offset: last.offset } },
      });
      const ok = await sub.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
      assert.equal(typeof JSON.parse(ok.data as string).recovered, 'boolean', 'the resume says whether it recovered');
    }
    // And the channel works end to end again.
    await sdk.trigger(channel, 'after', {});
    await sub.waitFor((f) => f.event === 'after', T);
  });

  test('presence and counts span nodes on the cluster; a node hears only its own channels', async () => {
    const onA = await client(a);
    const onB = await client(b);
    await onB.subscribe('b-only');
    await onA.subscribe('a-only');
    const mark = async (node: ChildServer, ch: string, c: Client) => {
      const id = `${Math.random()}`;
      await node.sdk(APP).trigger(ch, 'mark', { id });
      await c.waitFor((f) => f.event === 'mark' && (f.data as string).includes(id), T);
    };
    await mark(a, 'b-only', onB);
    const before = await inboundMessages(b);
    for (let i = 0; i < 20; i++) await a.sdk(APP).trigger('a-only', 'n', { i });
    await mark(a, 'a-only', onA);
    await mark(a, 'b-only', onB);
    assert.ok((await inboundMessages(b)) - before <= 2, 'node B heard none of a-only');
    const res = await a.sdk(APP).get({ path: '/channels', params: {} });
    const channels = ((await res.json()) as { channels: Record<string, unknown> }).channels;
    assert.ok('a-only' in channels && 'b-only' in channels, `both listed: ${JSON.stringify(channels)}`);
  });
});
