// The hub's other faces, on exact values: what the HTTP API's trigger publishes (publisher.ts), the
// channel queries it answers from this node (queries.ts), what the cluster adapter may ask of and
// read from this node (local-node.ts), and the observer fan-out (observer.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppOptions } from '../../src/apps/app.ts';
import { LocalNode } from '../../src/hub/local-node.ts';
import { combineObservers } from '../../src/hub/observer.ts';
import { publishTrigger } from '../../src/hub/publisher.ts';
import { LocalQueries } from '../../src/hub/queries.ts';
import { channelAuth, userAuth } from '../../src/protocol/signatures.ts';
import { hubKit, makeApp, type HubKit } from './hub-kit.ts';

const kits: HubKit[] = [];
function kit(options: Partial<AppOptions> = {}) {
  const app = makeApp(options);
  const k = hubKit([app]);
  kits.push(k);
  return { ...k, app, node: new LocalNode(k.hub), queries: new LocalQueries(k.hub) };
}
after(() => {
  for (const k of kits) k.hub.stop();
});

type Kit = ReturnType<typeof kit>;
function member(k: Kit, channel: string, userId: string) {
  const c = k.connect();
  const data = JSON.stringify({ user_id: userId });
  k.send(c.conn, {
    event: 'pusher:subscribe',
    data: { channel, channel_data: data, auth: channelAuth(k.app.key, k.app.secret, c.conn.id, channel, data) },
  });
  c.socket.take();
  return c;
}

test('publishTrigger: one frame per channel, the sender left out, stored ids added, reported once', () => {
  const k = kit();
  const a = k.connect();
  const b = k.connect();
  k.join(a, 'x');
  k.join(b, 'x');
  k.join(b, 'y');
  const stored = new Map([['y', { mid: 'm1', timestamp: 1234 }]]);
  const trigger = { event: 'ev', channels: ['x', 'y'], data: '{"n":1}', socketId: a.conn.id, stored };
  publishTrigger(k.hub, k.app, trigger);
  assert.deepEqual(a.socket.frames, []);
  assert.deepEqual(b.socket.frames, [
    '{"event":"ev","channel":"x","data":"{\\"n\\":1}"}',
    '{"event":"ev","channel":"y","data":"{\\"n\\":1}","mid":"m1","timestamp":1234}',
  ]);
  assert.deepEqual(
    k.reports.filter((r) => r[0] === 'eventTriggered'),
    [['eventTriggered', '1', trigger]],
  );
  assert.equal(k.hub.states.get('1')!.cache.size, 0, 'only cache channels are remembered');
});

test('publishTrigger: a cache channel keeps its event for cacheTtl seconds', () => {
  const k = kit({ cacheTtl: 60 });
  const before = Date.now();
  publishTrigger(k.hub, k.app, { event: 'ev', channels: ['cache-a'], data: 'd' });
  const entry = k.hub.states.get('1')!.cache.get('cache-a')!;
  assert.equal(entry.frame.toString(), '{"event":"ev","channel":"cache-a","data":"d"}');
  assert.equal(entry.event, 'ev');
  assert.equal(entry.data, 'd');
  assert.ok(entry.expiresAt >= before + 60_000 && entry.expiresAt <= Date.now() + 60_000, String(entry.expiresAt));
});

test('LocalQueries: occupied channels by prefix, counts, presence user counts and ids', async () => {
  const k = kit();
  const a = k.connect();
  k.join(a, 'news');
  k.join(a, 'private-x');
  member(k, 'presence-r', 'ann');
  member(k, 'presence-r', 'bob');
  k.hub.states.get('1')!.ensureChannel('empty');
  assert.deepEqual(await k.queries.channels('1'), [
    { name: 'news', subscriptionCount: 1, userCount: undefined },
    { name: 'private-x', subscriptionCount: 1, userCount: undefined },
    { name: 'presence-r', subscriptionCount: 2, userCount: 2 },
  ]);
  assert.deepEqual(
    (await k.queries.channels('1', 'pr')).map((c) => c.name),
    ['private-x', 'presence-r'],
  );
  assert.deepEqual(await k.queries.channels('nope'), []);
  assert.deepEqual(await k.queries.channel('1', 'presence-r'), {
    name: 'presence-r',
    subscriptionCount: 2,
    userCount: 2,
  });
  assert.deepEqual(await k.queries.channel('1', 'news'), { name: 'news', subscriptionCount: 1, userCount: undefined });
  assert.equal(await k.queries.channel('1', 'empty'), undefined);
  assert.equal(await k.queries.channel('1', 'never'), undefined);
  assert.deepEqual(await k.queries.users('1', 'presence-r'), ['ann', 'bob']);
  assert.deepEqual(await k.queries.users('1', 'never'), []);
});

test('LocalNode.memberChanged: told to every subscriber but the member itself and the skipped', () => {
  const k = kit();
  const ann = member(k, 'presence-r', 'ann');
  const bob = member(k, 'presence-r', 'bob');
  const carl = member(k, 'presence-r', 'carl');
  for (const c of [ann, bob, carl]) c.socket.take();
  k.node.memberChanged('1', 'presence-r', 'ann', true, { n: 1 }, false, new Set([carl.conn.id]));
  assert.deepEqual(ann.socket.frames, []);
  assert.deepEqual(carl.socket.frames, []);
  assert.deepEqual(bob.socket.take(), [
    { event: 'pusher_internal:member_added', channel: 'presence-r', data: '{"user_id":"ann","user_info":{"n":1}}' },
  ]);
  const announced: unknown[] = [];
  k.hub.extension = { memberAnnounced: (_s, ch, user, added, peer) => announced.push([ch.name, user, added, peer]) };
  k.node.memberChanged('1', 'presence-r', 'dan', false, undefined);
  k.node.memberChanged('1', 'presence-r', 'eve', true, {}, true);
  k.node.memberChanged('1', 'presence-none', 'dan', false, undefined);
  k.node.memberChanged('nope', 'presence-r', 'dan', false, undefined);
  assert.deepEqual(
    bob.socket.take().map((f) => f.event),
    ['pusher_internal:member_removed', 'pusher_internal:member_added'],
  );
  assert.deepEqual(announced, [
    ['presence-r', 'dan', false, false],
    ['presence-r', 'eve', true, true],
  ]);
});

test('LocalNode: counts, members and users it reports to the adapter', () => {
  const k = kit();
  const a = k.connect();
  k.join(a, 'news');
  const ann = member(k, 'presence-r', 'ann');
  const userData = '{"id":"ann"}';
  k.send(ann.conn, {
    event: 'pusher:signin',
    data: { user_data: userData, auth: userAuth(k.app.key, k.app.secret, ann.conn.id, userData) },
  });
  assert.equal(k.node.subscribers('1', 'news'), 1);
  assert.equal(k.node.subscribers('1', 'never'), 0);
  assert.equal(k.node.subscribers('nope', 'news'), 0);
  assert.equal(k.node.userConnections('1', 'ann'), 1);
  assert.equal(k.node.userConnections('1', 'bob'), 0);
  assert.deepEqual(k.node.member('1', 'presence-r', 'ann'), { connections: 1, info: {}, peer: false });
  assert.equal(k.node.member('1', 'presence-r', 'bob'), undefined);
  assert.deepEqual(k.node.presence('1', 'presence-r'), { presence: { ids: ['ann'], hash: { ann: {} }, count: 1 } });
  assert.deepEqual(k.node.presence('1', 'never'), { presence: { ids: [], hash: {}, count: 0 } });
  assert.deepEqual(k.node.held(), {
    channels: [
      ['1', 'news'],
      ['1', 'presence-r'],
    ],
    members: [['1', 'presence-r', 'ann']],
    users: [['1', 'ann']],
  });
});

test('LocalNode.streamLimits: from the app options, none when either is 0', () => {
  const on = kit({ recoveryWindowSeconds: 30, recoveryMaxEvents: 5 });
  assert.equal(on.node.streamLimits('1'), undefined, 'an app this node has not seen');
  on.connect();
  assert.deepEqual(on.node.streamLimits('1'), { windowMs: 30_000, maxEvents: 5 });
  assert.equal(on.node.streamLimits('1'), on.node.streamLimits('1'), 'built once per options record');
  for (const options of [
    { recoveryWindowSeconds: 0, recoveryMaxEvents: 5 },
    { recoveryWindowSeconds: 30, recoveryMaxEvents: 0 },
  ]) {
    const off = kit(options);
    off.connect();
    assert.equal(off.node.streamLimits('1'), undefined, JSON.stringify(options));
  }
});

test('LocalNode.countsWanted: with subscriptionCount on, for every channel but presence', () => {
  const on = kit({ subscriptionCount: true });
  on.connect();
  assert.equal(on.node.countsWanted('1', 'news'), true);
  assert.equal(on.node.countsWanted('1', 'private-x'), true);
  assert.equal(on.node.countsWanted('1', 'presence-r'), false);
  assert.equal(on.node.countsWanted('nope', 'news'), false);
  const off = kit({ subscriptionCount: false });
  off.connect();
  assert.equal(off.node.countsWanted('1', 'news'), false);
});

test('LocalNode.reconnectSubscribers: every subscriber of the channel gets 4200', () => {
  const k = kit();
  const a = k.connect();
  const b = k.connect();
  k.join(a, 'news');
  k.join(b, 'other');
  k.node.reconnectSubscribers('1', 'news');
  k.node.reconnectSubscribers('1', 'never');
  const message = 'Events were missed on this channel; reconnect and resume';
  assert.deepEqual(a.socket.take(), [{ event: 'pusher:error', data: JSON.stringify({ message, code: 4200 }) }]);
  assert.deepEqual(a.socket.closedWith, { code: 4200, reason: message });
  assert.equal(b.socket.closedWith, undefined);
});

test('LocalNode.cacheEvent: kept with its event and data for ttl; a frame that is not JSON is ignored', async () => {
  const k = kit();
  k.connect();
  const before = Date.now();
  k.node.cacheEvent('1', 'cache-a', Buffer.from('{"event":"ev","channel":"cache-a","data":"d"}'), 5000);
  const entry = k.hub.states.get('1')!.cache.get('cache-a')!;
  assert.deepEqual(
    [entry.event, entry.data, entry.frame.toString()],
    ['ev', 'd', '{"event":"ev","channel":"cache-a","data":"d"}'],
  );
  assert.ok(entry.expiresAt >= before + 5000 && entry.expiresAt <= Date.now() + 5000);
  k.node.cacheEvent('1', 'cache-b', Buffer.from('not json'), 5000);
  assert.equal(k.hub.states.get('1')!.cache.has('cache-b'), false);
  // An app this node has no state for yet: looked up, then kept.
  const fresh = kit();
  fresh.node.cacheEvent('1', 'cache-a', Buffer.from('{"event":"ev","data":"d"}'), 5000);
  await new Promise((r) => setImmediate(r));
  assert.equal(fresh.hub.states.get('1')?.cache.get('cache-a')?.event, 'ev');
  fresh.node.cacheEvent('nope', 'cache-a', Buffer.from('{"event":"ev"}'), 5000);
  await new Promise((r) => setImmediate(r));
  assert.equal(fresh.hub.states.has('nope'), false);
});

test('LocalNode: deliver, counts, watchlist and terminate go to the hub', async () => {
  const k = kit({ subscriptionCount: true });
  const a = k.connect();
  k.join(a, 'news');
  assert.equal(k.node.deliver('1', 'news', Buffer.from('{"event":"e"}')), 1);
  assert.deepEqual(a.socket.take(), [{ event: 'e' }]);
  const userData = '{"id":"ann","watchlist":["bob"]}';
  k.send(a.conn, {
    event: 'pusher:signin',
    data: { user_data: userData, auth: userAuth(k.app.key, k.app.secret, a.conn.id, userData) },
  });
  await new Promise((r) => setImmediate(r));
  a.socket.take();
  k.node.watchlist('1', 'bob', true);
  k.node.watchlist('1', 'bob', false);
  k.node.watchlist('nope', 'bob', false);
  assert.deepEqual(
    a.socket.take().map((f) => JSON.parse(String(f.data)).events[0].name),
    ['online', 'offline'],
  );
  const news = k.hub.states.get('1')!.channel('news')!;
  news.countSent = -1; // as if the count had moved since it was last sent
  news.countSentAt = 0;
  k.node.countChanged('1', 'news');
  k.node.countChanged('1', 'never');
  k.node.countChanged('nope', 'news');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.socket.take(), [
    { event: 'pusher_internal:subscription_count', channel: 'news', data: '{"subscription_count":1}' },
  ]);
  k.node.terminateUser('1', 'ann');
  assert.equal(a.socket.closedWith?.code, 4009);
});

test('combineObservers: each report reaches every observer that has it, with its arguments', () => {
  const seen: unknown[] = [];
  const one = combineObservers([{ channelOccupied: (...args) => seen.push(['one', ...args]) }, {}]);
  const both = combineObservers([
    { channelOccupied: (...args) => seen.push(['a', ...args]), cacheMiss: (...args) => seen.push(['miss', ...args]) },
    { channelOccupied: (...args) => seen.push(['b', ...args]) },
  ]);
  one.channelOccupied!('1', 'x');
  both.channelOccupied!('1', 'y');
  both.cacheMiss!('1', 'z');
  assert.equal(both.subscribed, undefined, 'no observer has it');
  // Several observers are called with five arguments whatever the report (no rest array per call).
  const u = undefined;
  assert.deepEqual(seen, [
    ['one', '1', 'x'],
    ['a', '1', 'y', u, u, u],
    ['b', '1', 'y', u, u, u],
    ['miss', '1', 'z'],
  ]);
  const five: unknown[] = [];
  const two = combineObservers([{ subscribed: (...args) => five.push(args) }, { subscribed: () => {} }]);
  two.subscribed!('1', 'c', 'public', 's');
  assert.deepEqual(five, [['1', 'c', 'public', 's', u]]);
});
