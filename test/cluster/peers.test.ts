// Peer channels across two nodes on one Redis: members of a presence channel connected to
// different nodes get their pair channel, talk on it both ways (client events and HTTP triggers),
// and lose it when either user's last connection anywhere leaves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../helpers/raw-client.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import type { ChildServer } from '../helpers/child-server.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';
import {
  APP,
  type Client,
  type Cluster,
  got,
  OpenClients,
  redisSkipReason,
  startCluster,
  waitUntil,
} from './helpers.ts';

const skip = await redisSkipReason();
const T = 10_000;

describe('peer channels on two nodes', { skip, timeout: 180_000 }, () => {
  let cluster: Cluster;
  let nodes: ChildServer[];
  const clients = new OpenClients();

  before(async () => {
    cluster = await startCluster(2);
    nodes = cluster.nodes;
  });
  after(async () => {
    clients.closeAll();
    await cluster?.close();
  });

  /** A client on node `i` joined to `channel` as `userId`, with `"peer": true` when `peer`. */
  const member = async (i: number, channel: string, userId: string, peer: boolean) => {
    const c = await clients.connect(nodes[i]);
    const data = JSON.stringify({ user_id: userId, user_info: { name: userId }, ...(peer ? { peer: true } : {}) });
    const f = await c.subscribe(channel, channelAuth(APP.key, APP.secret, c.socketId, channel, data), data);
    assert.equal(f.event, 'pusher_internal:subscription_succeeded', JSON.stringify(f));
    return c;
  };
  /** The client's `n`th subscription_succeeded on the pair (a re-join brings another). */
  const paired = async (c: Client, pair: string, n = 1) => {
    const mine = (f: { event: string; channel?: string }) =>
      f.event === 'pusher_internal:subscription_succeeded' && f.channel === pair;
    await waitUntil(() => c.frames.filter(mine).length >= n, T, `${pair} joined (${n})`);
  };
  /** A client event on the pair reaches the other side. */
  const talks = async (from: Client, to: Client, pair: string, event: string) => {
    from.send({ event, channel: pair, data: { from: from.socketId } });
    const f = await to.waitFor((x) => x.event === event && x.channel === pair, T);
    assert.deepEqual(decode(f), { from: from.socketId });
  };
  /** The client is not on the pair: its client event there is refused. */
  const offPair = async (c: Client, pair: string) => {
    c.send({ event: 'client-probe', channel: pair, data: {} });
    assert.match(decode(await c.next('pusher:error', T)).message, /not subscribed/);
  };
  const removed = (c: Client, userId: string) =>
    c.waitFor((f) => f.event === 'pusher_internal:member_removed' && decode(f).user_id === userId, T);
  const subscriptionCount = async (channel: string) => {
    const res = await nodes[0].sdk(APP).get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } });
    return ((await res.json()) as { subscription_count: number }).subscription_count;
  };

  test('members on two nodes get their pair and talk on it both ways; members see user_info only', async () => {
    const a = await member(0, 'presence-chat', 'a', true);
    const b = await member(1, 'presence-chat', 'b', false);
    const pair = 'peer-chat:a&b';
    await paired(a, pair);
    await paired(b, pair);
    await talks(a, b, pair, 'client-hello');
    await talks(b, a, pair, 'client-answer');
    // HTTP triggers to the pair reach both sides, whichever node takes them (the pusher SDK refuses
    // '&' in a channel name: a signed request of our own).
    for (const via of [1, 0]) {
      const body = { name: 'from-api', channel: pair, data: JSON.stringify({ via }) };
      const res = await trigger(nodes[via].httpUrl, body, { appId: APP.id, key: APP.key, secret: APP.secret });
      assert.equal(res.status, 200, await res.text());
    }
    for (const c of [a, b]) {
      await waitUntil(() => got(c, 'from-api', pair).length === 2, T, 'both triggers on the pair');
      assert.deepEqual(got(c, 'from-api', pair), [{ via: 1 }, { via: 0 }]);
    }
    // The peer flag travels beside user_info, never inside it.
    const list = decode(b.frames.find((f) => f.channel === 'presence-chat')!).presence;
    assert.deepEqual(list.hash, { a: { name: 'a' }, b: { name: 'b' } });
    assert.deepEqual(got(a, 'pusher_internal:member_added'), [{ user_id: 'b', user_info: { name: 'b' } }]);
  });

  test("a user's last connection leaving tears the other side's pair down; joining again pairs again", async () => {
    const a = await member(0, 'presence-room', 'a', true);
    const b = await member(1, 'presence-room', 'b', false);
    const pair = 'peer-room:a&b';
    await paired(a, pair);
    await paired(b, pair);
    b.close();
    await removed(a, 'b');
    await offPair(a, pair);

    const b2 = await member(1, 'presence-room', 'b', false);
    await paired(a, pair, 2);
    await paired(b2, pair);
    await talks(a, b2, pair, 'client-again');
    await talks(b2, a, pair, 'client-back');
  });

  test('a user connected to both nodes keeps its pair until its last connection leaves', async () => {
    const a = await member(0, 'presence-team', 'a', true);
    const b1 = await member(0, 'presence-team', 'b', false);
    const b2 = await member(1, 'presence-team', 'b', false);
    const pair = 'peer-team:a&b';
    for (const c of [a, b1, b2]) await paired(c, pair);
    // b's last connection on node 0 leaves, but b is still on node 1: a keeps the pair.
    b1.close();
    await waitUntil(async () => (await subscriptionCount('presence-team')) === 2, T, "node 0 saw b1's leaving");
    await talks(a, b2, pair, 'client-still');
    await talks(b2, a, pair, 'client-here');
    assert.equal(got(a, 'pusher_internal:member_removed').length, 0);

    b2.close();
    await removed(a, 'b');
    await offPair(a, pair);
  });

  test('members that neither asked for peer channels get no pair', async () => {
    const c = await member(0, 'presence-plain', 'c', false);
    const d = await member(1, 'presence-plain', 'd', false);
    await c.waitFor((f) => f.event === 'pusher_internal:member_added', T);
    const pair = 'peer-plain:c&d';
    // A node decides a pair as it tells its member of the other (member_added or the member list):
    // a refusal after that is final.
    await offPair(c, pair);
    await offPair(d, pair);
    assert.deepEqual(
      [c, d].flatMap((x) => x.frames.filter((f) => f.channel?.startsWith('peer-'))),
      [],
    );
  });
});
