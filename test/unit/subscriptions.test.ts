// Joining and leaving channels (src/hub/subscriptions.ts) through the hub, on exact frames: who may
// join each kind of channel, the per-socket and per-channel limits at their bounds, presence
// channel_data checks, member bookkeeping, cache replay, and subscription counts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppOptions } from '../../src/apps/app.ts';
import { channelAuth, userAuth } from '../../src/protocol/signatures.ts';
import { hubKit, makeApp, type HubKit } from './hub-kit.ts';

const kits: HubKit[] = [];
function kit(options: Partial<AppOptions> = {}) {
  const app = makeApp(options);
  const k = hubKit([app]);
  kits.push(k);
  return { ...k, app };
}
after(() => {
  for (const k of kits) k.hub.stop();
});

const failed = (channel: string, code: number | null, message: string) => [
  {
    event: 'pusher:subscription_error',
    channel,
    data: JSON.stringify({
      type: code === null ? 'AuthError' : 'SubscriptionError',
      error: message,
      status: code ?? 401,
    }),
  },
  { event: 'pusher:error', data: JSON.stringify({ message, code }) },
];
const succeeded = (channel: string, data: unknown = {}) => ({
  event: 'pusher_internal:subscription_succeeded',
  channel,
  data: JSON.stringify(data),
});
const badAuth = (channel: string) =>
  failed(channel, null, `Invalid signature: auth does not match this socket and channel (${channel})`);

function subscriber(k: ReturnType<typeof kit>) {
  const c = k.connect();
  c.socket.take();
  const subscribe = (data: Record<string, unknown>) => k.send(c.conn, { event: 'pusher:subscribe', data });
  const presence = (channel: string, channelData: unknown, auth?: string) => {
    const text = typeof channelData === 'string' ? channelData : JSON.stringify(channelData);
    subscribe({
      channel,
      channel_data: channelData,
      auth: auth ?? channelAuth(k.app.key, k.app.secret, c.conn.id, channel, text),
    });
  };
  return { ...c, subscribe, presence };
}

test('a public channel: joined and confirmed; joined again: confirmed again, once in the channel', () => {
  const k = kit();
  const c = subscriber(k);
  c.subscribe({ channel: 'news' });
  c.subscribe({ channel: 'news' });
  assert.deepEqual(c.socket.take(), [succeeded('news'), succeeded('news')]);
  const ch = k.hub.states.get('1')!.channel('news')!;
  assert.equal(ch.subscribers.size, 1);
  assert.deepEqual(
    k.reports.filter((r) => r[0] === 'channelOccupied' || r[0] === 'subscribed'),
    [
      ['channelOccupied', '1', 'news'],
      ['subscribed', '1', 'news', 'public', c.conn.id],
    ],
  );
});

test('a bad channel name: 4009 naming the problem; a name that is no string: a plain error', () => {
  const k = kit();
  const c = subscriber(k);
  c.subscribe({ channel: 'bad name' });
  const [sub, err] = c.socket.take();
  assert.equal(sub.event, 'pusher:subscription_error');
  assert.equal(JSON.parse(String(sub.data)).status, 4009);
  assert.equal(JSON.parse(String(err.data)).code, 4009);
  c.subscribe({ channel: 5 });
  const frames = c.socket.take();
  assert.equal(frames.length, 1);
  assert.equal(frames[0].event, 'pusher:error');
  assert.equal(JSON.parse(String(frames[0].data)).code, null);
  assert.equal(c.conn.channels.size, 0);
});

test('maxChannelsPerConnection: the channel past the cap gets 4100; joined ones still confirm', () => {
  const k = kit({ maxChannelsPerConnection: 2 });
  const c = subscriber(k);
  c.subscribe({ channel: 'a' });
  c.subscribe({ channel: 'b' });
  c.subscribe({ channel: 'c' });
  c.subscribe({ channel: 'a' });
  assert.deepEqual(c.socket.take(), [
    succeeded('a'),
    succeeded('b'),
    ...failed('c', 4100, 'Too many channels on this connection (at most 2)'),
    succeeded('a'),
  ]);
  const open = subscriber(kit({ maxChannelsPerConnection: 0 }));
  for (const name of ['a', 'b', 'c']) open.subscribe({ channel: name });
  assert.equal(open.conn.channels.size, 3, '0 is no cap');
});

test('private, encrypted and peer channels need the signature for this socket and channel', () => {
  const k = kit();
  const c = subscriber(k);
  for (const channel of ['private-a', 'private-encrypted-a', 'peer-room:a&b']) {
    c.subscribe({ channel, auth: channelAuth(k.app.key, k.app.secret, '9.9', channel) });
    c.subscribe({ channel });
    assert.deepEqual(c.socket.take(), [...badAuth(channel), ...badAuth(channel)], channel);
    c.subscribe({ channel, auth: channelAuth(k.app.key, k.app.secret, c.conn.id, channel) });
    assert.deepEqual(c.socket.take(), [succeeded(channel)]);
  }
});

test('personal channels need the signature and the persistence store', () => {
  const k = kit();
  const c = subscriber(k);
  const channel = 'personal-ann';
  c.subscribe({ channel });
  c.subscribe({ channel, auth: channelAuth(k.app.key, k.app.secret, c.conn.id, channel) });
  assert.deepEqual(c.socket.take(), [
    ...badAuth(channel),
    ...failed(channel, 4009, 'Personal channels need the persistence store'),
  ]);
  const joined: string[] = [];
  k.hub.extension = { subscribePersonal: async (_s, _c, name) => void joined.push(name) };
  c.subscribe({ channel, auth: channelAuth(k.app.key, k.app.secret, c.conn.id, channel) });
  assert.deepEqual(joined, [channel]);
});

test('#server-to-user- channels: only the signed-in user its own', () => {
  const k = kit();
  const c = subscriber(k);
  const refused = (ch: string) =>
    failed(ch, 4009, 'Only the signed-in user may subscribe to its #server-to-user- channel');
  c.subscribe({ channel: '#server-to-user-ann' });
  const userData = '{"id":"ann"}';
  k.send(c.conn, {
    event: 'pusher:signin',
    data: { user_data: userData, auth: userAuth(k.app.key, k.app.secret, c.conn.id, userData) },
  });
  c.subscribe({ channel: '#server-to-user-bob' });
  c.subscribe({ channel: '#server-to-user-ann' });
  assert.deepEqual(c.socket.take(), [
    ...refused('#server-to-user-ann'),
    { event: 'pusher:signin_success', data: JSON.stringify({ user_data: userData }) },
    ...refused('#server-to-user-bob'),
    succeeded('#server-to-user-ann'),
  ]);
});

test('presence: members listed to the joiner, member_added to the others, not to itself', () => {
  const k = kit();
  const a = subscriber(k);
  const b = subscriber(k);
  a.presence('presence-r', { user_id: 'ann', user_info: { n: 1 } });
  assert.deepEqual(a.socket.take(), [
    succeeded('presence-r', { presence: { ids: ['ann'], hash: { ann: { n: 1 } }, count: 1 } }),
  ]);
  b.presence('presence-r', { user_id: 7 }); // a number is a user id too
  assert.deepEqual(b.socket.take(), [
    succeeded('presence-r', { presence: { ids: ['ann', '7'], hash: { ann: { n: 1 }, 7: {} }, count: 2 } }),
  ]);
  assert.deepEqual(a.socket.take(), [
    { event: 'pusher_internal:member_added', channel: 'presence-r', data: '{"user_id":"7","user_info":{}}' },
  ]);
  // A second connection of ann: no new member.
  const a2 = subscriber(k);
  a2.presence('presence-r', { user_id: 'ann', user_info: { n: 1 } });
  assert.deepEqual(b.socket.take(), []);
  assert.equal(k.hub.states.get('1')!.channel('presence-r')!.members.get('ann')!.connections.size, 2);
  // ann leaves on one connection: still a member; on the last: member_removed.
  k.send(a.conn, { event: 'pusher:unsubscribe', data: { channel: 'presence-r' } });
  assert.deepEqual(b.socket.take(), []);
  k.hub.closed(a2.conn);
  assert.deepEqual(b.socket.take(), [
    { event: 'pusher_internal:member_removed', channel: 'presence-r', data: '{"user_id":"ann"}' },
  ]);
  assert.deepEqual(
    k.reports.filter((r) => r[0] === 'memberAdded' || r[0] === 'memberRemoved'),
    [
      ['memberAdded', '1', 'presence-r', 'ann'],
      ['memberAdded', '1', 'presence-r', '7'],
      ['memberRemoved', '1', 'presence-r', 'ann'],
    ],
  );
});

test('presence channel_data: each malformed form refused with its message', () => {
  const k = kit({ maxPresenceUserInfoBytes: 10 });
  const c = subscriber(k);
  const ch = 'presence-r';
  const cases: Array<[unknown, string]> = [
    ['{not json', 'channel_data is not valid JSON'],
    ['5', 'channel_data must be a JSON object'],
    ['null', 'channel_data must be a JSON object'],
    [{ user_info: {} }, 'channel_data needs a user_id (string or number)'],
    [{ user_id: '' }, 'channel_data needs a user_id (string or number)'],
    [{ user_id: true }, 'channel_data needs a user_id (string or number)'],
    [{ user_id: 'u'.repeat(129) }, 'user_id longer than 128 characters'],
  ];
  for (const [data, message] of cases) {
    c.presence(ch, data);
    assert.deepEqual(c.socket.take(), failed(ch, 4009, message), JSON.stringify(data));
  }
  c.presence(ch, { user_id: 'u', user_info: 'x'.repeat(9) }); // "xxxxxxxxx": 11 bytes of JSON
  assert.deepEqual(c.socket.take(), failed(ch, 4301, 'user_info is 11 bytes; the limit is 10'));
  c.presence(ch, { user_id: 'u'.repeat(128), user_info: 'x'.repeat(8) }); // at both bounds
  assert.equal(c.socket.take()[0].event, 'pusher_internal:subscription_succeeded');
});

test('presence channel_data nested too deeply is refused, not a server error', () => {
  const k = kit();
  const c = subscriber(k);
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const data = `{"channel":"presence-r","auth":"x","channel_data":{"user_id":"u","user_info":${deep}}}`;
  k.send(c.conn, `{"event":"pusher:subscribe","data":${data}}`);
  assert.deepEqual(c.socket.take(), failed('presence-r', 4009, 'channel_data is nested too deeply'));
});

test('presence: channel_data must be signed; without it, a signed-in user joins as itself', () => {
  const k = kit();
  const c = subscriber(k);
  const ch = 'presence-r';
  c.presence(ch, { user_id: 'u' }, channelAuth(k.app.key, k.app.secret, c.conn.id, ch));
  c.subscribe({ channel: ch, auth: channelAuth(k.app.key, k.app.secret, c.conn.id, ch) });
  assert.deepEqual(c.socket.take(), [
    ...badAuth(ch),
    ...failed(ch, 4009, 'Presence channels need channel_data (or a signed-in user)'),
  ]);
  const userData = '{"id":"ann","user_info":{"n":2}}';
  k.send(c.conn, {
    event: 'pusher:signin',
    data: { user_data: userData, auth: userAuth(k.app.key, k.app.secret, c.conn.id, userData) },
  });
  c.socket.take();
  c.subscribe({ channel: ch, auth: 'wrong' });
  assert.deepEqual(c.socket.take(), badAuth(ch));
  c.subscribe({ channel: ch, auth: channelAuth(k.app.key, k.app.secret, c.conn.id, ch) });
  assert.deepEqual(c.socket.take(), [succeeded(ch, { presence: { ids: ['ann'], hash: { ann: { n: 2 } }, count: 1 } })]);
});

test('maxPresenceMembers: a new user past it gets 4100; a member already in joins again', () => {
  const k = kit({ maxPresenceMembers: 2 });
  const ch = 'presence-r';
  subscriber(k).presence(ch, { user_id: 'a' });
  subscriber(k).presence(ch, { user_id: 'b' });
  const third = subscriber(k);
  third.presence(ch, { user_id: 'c' });
  assert.deepEqual(third.socket.take(), failed(ch, 4100, 'Presence channel is full (2 members)'));
  const again = subscriber(k);
  again.presence(ch, { user_id: 'b' });
  assert.equal(again.socket.take()[0].event, 'pusher_internal:subscription_succeeded');
});

test('peer: true in channel_data marks the member as a peer', () => {
  const k = kit();
  subscriber(k).presence('presence-r', { user_id: 'a', peer: true });
  subscriber(k).presence('presence-r', { user_id: 'b', peer: 'yes' });
  const members = k.hub.states.get('1')!.channel('presence-r')!.members;
  assert.equal(members.get('a')!.peer, true);
  assert.equal(members.get('b')!.peer, false);
});

test('cache channels: the last event after subscription_succeeded, or pusher:cache_miss', () => {
  const k = kit();
  const c = subscriber(k);
  c.subscribe({ channel: 'cache-a' });
  assert.deepEqual(c.socket.frames, [
    '{"event":"pusher_internal:subscription_succeeded","channel":"cache-a","data":"{}"}',
    '{"event":"pusher:cache_miss","channel":"cache-a"}',
  ]);
  assert.deepEqual(k.reports.at(-1), ['cacheMiss', '1', 'cache-a']);
  const state = k.hub.states.get('1')!;
  state.remember('cache-b', {
    frame: Buffer.from('{"event":"kept"}'),
    event: 'kept',
    data: '',
    expiresAt: Date.now() + 60_000,
  });
  c.socket.take();
  c.subscribe({ channel: 'cache-b' });
  assert.deepEqual(c.socket.frames, [
    '{"event":"pusher_internal:subscription_succeeded","channel":"cache-b","data":"{}"}',
    '{"event":"kept"}',
  ]);
});

test('unsubscribe: leaves, vacates the channel when empty; a channel not joined is a no-op', () => {
  const k = kit();
  const a = subscriber(k);
  const b = subscriber(k);
  a.subscribe({ channel: 'news' });
  b.subscribe({ channel: 'news' });
  k.send(a.conn, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
  const state = k.hub.states.get('1')!;
  assert.equal(state.channel('news')!.subscribers.size, 1);
  assert.equal(a.conn.channels.has('news'), false);
  k.send(b.conn, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
  assert.equal(state.channel('news'), undefined);
  assert.deepEqual(k.reports.at(-1), ['channelVacated', '1', 'news']);
  k.send(b.conn, { event: 'pusher:unsubscribe', data: { channel: 'never' } });
  k.send(b.conn, { event: 'pusher:unsubscribe', data: {} });
  assert.deepEqual(b.socket.take().slice(-1), [
    { event: 'pusher:error', data: JSON.stringify({ message: 'pusher:unsubscribe needs a channel', code: null }) },
  ]);
});

test('subscription_count: sent when the count moves, at most once a second per channel', async () => {
  const k = kit({ subscriptionCount: true });
  const a = subscriber(k);
  a.subscribe({ channel: 'news' });
  await new Promise((r) => setImmediate(r));
  const count = (n: number) => ({
    event: 'pusher_internal:subscription_count',
    channel: 'news',
    data: JSON.stringify({ subscription_count: n }),
  });
  assert.deepEqual(a.socket.take(), [succeeded('news'), count(1)]);
  const sentAt = k.hub.states.get('1')!.channel('news')!.countSentAt;
  const b = subscriber(k);
  b.subscribe({ channel: 'news' });
  await new Promise((r) => setImmediate(r));
  k.hub.subscriptions.flushCounts(sentAt + 999);
  assert.deepEqual(a.socket.take(), [], 'not twice within a second');
  k.hub.subscriptions.flushCounts(sentAt + 1000);
  assert.deepEqual(a.socket.take(), [count(2)]);
  // Presence channels carry their count in the member list, never as subscription_count.
  const p = subscriber(k);
  p.presence('presence-r', { user_id: 'u' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    p.socket.take().map((f) => f.event),
    ['pusher_internal:subscription_succeeded'],
  );
});
