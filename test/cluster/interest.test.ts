// Routing by interest: a node listens in Redis only to the channels it has subscribers on, so the
// events of other channels never reach it; it stops listening when its last subscriber leaves, and
// a cache channel's last event is still there for a node that subscribes later.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildServer } from '../helpers/child-server.ts';
import {
  APP,
  type Client,
  type Cluster,
  got,
  inboundMessages,
  OpenClients,
  redisSkipReason,
  startCluster,
  waitUntil,
} from './helpers.ts';

const skip = await redisSkipReason();
const T = 10_000;

describe('routing by interest', { skip, timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: ChildServer;
  let b: ChildServer;
  const clients = new OpenClients();
  const client = (node: ChildServer) => clients.connect(node);
  const listeners = async (channel: string) => {
    const [, n] = (await cluster.redis.call('pubsub', 'numsub', `${cluster.prefix}{${APP.id}:${channel}}`)) as [
      string,
      number,
    ];
    return n;
  };
  /** Triggers a sentinel on `channel` through `via` and waits until `c` has it. */
  const settle = async (via: ChildServer, channel: string, c: Client) => {
    const mark = `${Date.now()}-${Math.random()}`;
    await via.sdk(APP).trigger(channel, 'sentinel', { mark });
    await c.waitFor((f) => f.event === 'sentinel' && (f.data as string).includes(mark), T);
  };

  before(async () => {
    cluster = await startCluster(2);
    [a, b] = cluster.nodes;
  });
  after(async () => {
    clients.closeAll();
    await cluster?.close();
  });

  test('a node does not receive the events of channels it has no subscriber on', async () => {
    const onA = await client(a);
    const onB = await client(b);
    await onA.subscribe('only-a');
    await onB.subscribe('only-b');
    assert.equal(await listeners('only-a'), 1, 'one node listens to only-a');
    await settle(b, 'only-b', onB);
    const before = await inboundMessages(b);
    // Published through B, heard by A only.
    for (let i = 0; i < 30; i++) await b.sdk(APP).trigger('only-a', 'n', { i });
    await settle(b, 'only-a', onA);
    assert.deepEqual(
      got(onA, 'n'),
      Array.from({ length: 30 }, (_, i) => ({ i })),
    );
    await settle(b, 'only-b', onB); // B's own channel: after this, B has read everything before it
    const received = (await inboundMessages(b)) - before;
    assert.ok(received <= 2, `node B received ${received} messages (its own channel's sentinel only)`);
  });

  test('the last local subscriber leaving drops the channel; subscribing again hears it again', async () => {
    const onA = await client(a);
    const onB = await client(b);
    await onA.subscribe('coming-and-going');
    await onB.subscribe('coming-and-going');
    await waitUntil(async () => (await listeners('coming-and-going')) === 2, T, 'both nodes listening');
    onB.send({ event: 'pusher:unsubscribe', data: { channel: 'coming-and-going' } });
    await waitUntil(async () => (await listeners('coming-and-going')) === 1, T, 'node B stopped listening');
    // Out and straight back in: the new subscription hears every later event.
    onB.send({ event: 'pusher:unsubscribe', data: { channel: 'coming-and-going' } });
    await onB.subscribe('coming-and-going');
    for (let i = 0; i < 5; i++) await a.sdk(APP).trigger('coming-and-going', 'again', { i });
    await settle(a, 'coming-and-going', onB);
    assert.deepEqual(
      got(onB, 'again'),
      Array.from({ length: 5 }, (_, i) => ({ i })),
    );
  });

  test("a cache channel's last event reaches a node that had no subscriber when it was sent", async () => {
    await a.sdk(APP).trigger('cache-prices', 'price', { eur: 12 });
    const onB = await client(b);
    await onB.subscribe('cache-prices');
    const cached = await onB.waitFor((f) => f.event === 'price' || f.event === 'pusher:cache_miss', T);
    assert.equal(cached.event, 'price');
    assert.deepEqual(JSON.parse(cached.data as string), { eur: 12 });
  });
});
