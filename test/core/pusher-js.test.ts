// Conformance with the official pusher-js client (Node build): connect, every channel kind,
// presence bookkeeping, client events, unsubscribe and reconnect.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceChannel } from 'pusher-js';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import {
  connected,
  createPusher,
  disconnectAll,
  once,
  Pusher,
  pusherOptions,
  record,
  subscribed,
  subscriptionCount,
  waitUntil,
} from '../helpers/pusher-js.ts';

let s: TestServer;
before(async () => (s = await startServer()));
afterEach(() => disconnectAll());
after(() => s.close());

const user = (user_id: string, name = user_id) => ({ presence: { user_id, user_info: { name } } });

test('connects and gets a socket id of the form 123.456', async () => {
  const p = createPusher(s);
  const socketId = await connected(p);
  assert.match(socketId, /^\d+\.\d+$/);
  assert.equal(p.connection.state, 'connected');
});

test('an unknown app key is refused with 4001 and pusher-js does not retry', async () => {
  const p = new Pusher('no-such-key', pusherOptions(s));
  try {
    const errors = record(p.connection, 'error');
    await waitUntil(() => p.connection.state === 'disconnected', 'the client to give up');
    assert.equal(errors[0]?.data?.error?.data?.code, 4001);
  } finally {
    p.disconnect();
  }
});

test('public and private channels receive SDK-triggered events', async () => {
  const p = createPusher(s);
  const pub = await subscribed(p, 'pjs-public');
  const priv = await subscribed(p, 'private-pjs');
  const gotPub = once(pub, 'ping');
  const gotPriv = once(priv, 'ping');
  await s.sdk().trigger(['pjs-public', 'private-pjs'], 'ping', { n: 1 });
  assert.deepEqual(await gotPub, { n: 1 });
  assert.deepEqual(await gotPriv, { n: 1 });
});

test('a private channel with a wrong signature is refused', async () => {
  const p = createPusher(s, { signer: s.sdk({ secret: 'not-the-secret' }) });
  const ch = p.subscribe('private-refused');
  const err = await once(ch, 'pusher:subscription_error');
  assert.ok(err, 'subscription_error carries a payload');
  assert.equal(ch.subscribed, false);
});

test('presence: me, count and each reflect the members', async () => {
  const a = createPusher(s, user('alice', 'Alice'));
  const chA = await subscribed<PresenceChannel>(a, 'presence-room');
  assert.equal(chA.members.count, 1);
  assert.deepEqual(chA.members.me, { id: 'alice', info: { name: 'Alice' } });

  const added = once(chA, 'pusher:member_added');
  const b = createPusher(s, user('bob', 'Bob'));
  const chB = await subscribed<PresenceChannel>(b, 'presence-room');
  assert.deepEqual(await added, { id: 'bob', info: { name: 'Bob' } });
  assert.equal(chB.members.count, 2);
  assert.equal(chB.members.me.id, 'bob');
  const seen: Record<string, unknown> = {};
  chB.members.each((m: { id: string; info: unknown }) => (seen[m.id] = m.info));
  assert.deepEqual(seen, { alice: { name: 'Alice' }, bob: { name: 'Bob' } });

  const removed = once(chA, 'pusher:member_removed');
  b.disconnect();
  assert.deepEqual(await removed, { id: 'bob', info: { name: 'Bob' } });
  assert.equal(chA.members.count, 1);
});

test('member_added only on a user’s first connection, member_removed only on its last', async () => {
  const watcher = createPusher(s, user('watcher'));
  const ch = await subscribed<PresenceChannel>(watcher, 'presence-multi');
  const added = record(ch, 'pusher:member_added');
  const removed = record(ch, 'pusher:member_removed');

  const first = createPusher(s, user('dup', 'Dup'));
  await subscribed(first, 'presence-multi');
  const second = createPusher(s, user('dup', 'Dup'));
  const chSecond = await subscribed<PresenceChannel>(second, 'presence-multi');
  assert.equal(chSecond.members.count, 2, 'the second connection sees watcher + dup');
  // Barrier: a third user's join arrives after anything the second connection could have caused.
  const other = createPusher(s, user('other'));
  await subscribed(other, 'presence-multi');
  await waitUntil(() => added.length >= 2, 'member_added for other');
  assert.deepEqual(
    added.map((r) => r.data.id),
    ['dup', 'other'],
  );
  assert.equal(ch.members.count, 3);

  second.disconnect();
  await waitUntil(
    async () => (await subscriptionCount(s, 'presence-multi')) === 3,
    'server to drop the second connection',
  );
  other.disconnect(); // barrier again: its member_removed follows anything the leave above caused
  await waitUntil(() => removed.length >= 1, 'member_removed for other');
  assert.deepEqual(
    removed.map((r) => r.data.id),
    ['other'],
  );
  assert.equal(ch.members.get('dup')?.id, 'dup', 'dup is still a member through its first connection');

  first.disconnect();
  await waitUntil(() => removed.length >= 2, 'member_removed for dup');
  assert.deepEqual(
    removed.map((r) => r.data.id),
    ['other', 'dup'],
  );
  assert.equal(ch.members.count, 1);
});

test('client events reach the others, not the sender; presence stamps user_id', async () => {
  const a = createPusher(s, user('ann'));
  const b = createPusher(s, user('ben'));
  const [privA, presA] = [await subscribed(a, 'private-chat'), await subscribed(a, 'presence-chat')];
  const [privB, presB] = [await subscribed(b, 'private-chat'), await subscribed(b, 'presence-chat')];
  const echoedPriv = record(privA, 'client-typing');
  const echoedPres = record(presA, 'client-typing');
  const gotPriv = record(privB, 'client-typing');
  const gotPres = record(presB, 'client-typing');

  assert.equal(privA.trigger('client-typing', { who: 'ann' }), true);
  assert.equal(presA.trigger('client-typing', { who: 'ann' }), true);
  await waitUntil(() => gotPriv.length && gotPres.length, 'client events at ben');
  assert.deepEqual(gotPriv[0].data, { who: 'ann' });
  assert.equal(gotPriv[0].meta?.user_id, undefined, 'no user_id on private channels');
  assert.deepEqual(gotPres[0].data, { who: 'ann' });
  assert.equal(gotPres[0].meta?.user_id, 'ann');

  // Barrier: an HTTP event sent now reaches ann after any echo of her own client events.
  const barrier = once(presA, 'barrier');
  await s.sdk().trigger('presence-chat', 'barrier', {});
  await barrier;
  assert.equal(echoedPriv.length + echoedPres.length, 0, 'the sender does not get its own client events');
});

test('on the wire: user_id is stamped on presence client events only', async () => {
  const sdk = s.sdk();
  const raw = await RawClient.established(s.wsUrl());
  const data = JSON.stringify({ user_id: 'wire' });
  await raw.subscribe(
    'presence-wire',
    sdk.authorizeChannel(raw.socketId, 'presence-wire', { user_id: 'wire' }).auth,
    data,
  );
  await raw.subscribe('private-wire', sdk.authorizeChannel(raw.socketId, 'private-wire').auth);
  const p = createPusher(s, user('sender'));
  const [pres, priv] = [await subscribed(p, 'presence-wire'), await subscribed(p, 'private-wire')];
  pres.trigger('client-a', { n: 1 });
  priv.trigger('client-b', { n: 2 });
  const a = await raw.waitFor((f) => f.event === 'client-a');
  const b = await raw.waitFor((f) => f.event === 'client-b');
  // Each event carries its channel's position (the first event of each channel: offset 1).
  const { epoch: epochA, ...restA } = a;
  const { epoch: epochB, ...restB } = b;
  assert.deepEqual(restA, {
    event: 'client-a',
    channel: 'presence-wire',
    data: { n: 1 },
    user_id: 'sender',
    offset: 1,
  });
  assert.deepEqual(restB, { event: 'client-b', channel: 'private-wire', data: { n: 2 }, offset: 1 });
  assert.notEqual(epochA, epochB, 'each channel is its own stream');
  assert.deepEqual(decode(raw.events('pusher_internal:member_added')[0]), {
    user_id: 'sender',
    user_info: { name: 'sender' },
  });
  raw.close();
});

test('client events are refused with 4301 when the app has them off', async () => {
  const off = await startServer({ env: { PUSHI_APP_CLIENT_EVENTS: '0' } });
  try {
    const a = createPusher(off);
    const b = createPusher(off);
    const chA = await subscribed(a, 'private-quiet');
    const chB = await subscribed(b, 'private-quiet');
    const got = record(chB, 'client-x');
    const error = once<{ code: number; message: string }>(a, 'pusher:error');
    chA.trigger('client-x', { no: 1 });
    const err = await error;
    assert.equal(err.code, 4301);
    assert.match(err.message, /not enabled/);
    assert.equal(a.connection.state, 'connected', '4301 is a warning, not a close');
    const barrier = once(chB, 'barrier');
    await off.sdk().trigger('private-quiet', 'barrier', {});
    await barrier;
    assert.equal(got.length, 0);
  } finally {
    disconnectAll();
    await off.close();
  }
});

test('client events on a public channel are refused', async () => {
  const a = createPusher(s);
  const ch = await subscribed(a, 'public-no-client');
  const error = once<{ code: number }>(a, 'pusher:error');
  ch.trigger('client-x', {});
  assert.equal((await error).code, 4301);
});

test('unsubscribe stops delivery and leaves the channel on the server', async () => {
  const p = createPusher(s);
  const gone = await subscribed(p, 'pjs-leave');
  const stay = await subscribed(p, 'pjs-stay');
  const leaked = record(gone, 'e');
  assert.equal(await subscriptionCount(s, 'pjs-leave'), 1);
  p.unsubscribe('pjs-leave');
  await waitUntil(async () => (await subscriptionCount(s, 'pjs-leave')) === 0, 'the server to drop the subscription');
  const barrier = once(stay, 'e');
  await s.sdk().trigger(['pjs-leave', 'pjs-stay'], 'e', {});
  await barrier;
  assert.equal(leaked.length, 0);
  assert.equal(p.channel('pjs-leave'), undefined);
});

test('reconnects after a server-side close (4200) and resubscribes', async () => {
  const p = createPusher(s, user('phoenix'));
  const before = await connected(p);
  const pub = await subscribed(p, 'pjs-reconnect');
  await subscribed(p, 'presence-reconnect');
  const conn = s.server.hub.states.get(s.app.id)!.connections.get(before)!;
  const disconnected = once(p.connection, 'state_change');
  conn.closeWithError(4200, 'test asks the client to reconnect');
  assert.equal((await disconnected).previous, 'connected');
  await waitUntil(() => p.connection.state === 'connected' && p.connection.socket_id !== before, 'a new connection');
  await waitUntil(async () => (await subscriptionCount(s, 'pjs-reconnect')) === 1, 'resubscription');
  await waitUntil(async () => (await subscriptionCount(s, 'presence-reconnect')) === 1, 'presence resubscription');
  const got = once(pub, 'after');
  await s.sdk().trigger('pjs-reconnect', 'after', { ok: true });
  assert.deepEqual(await got, { ok: true });
  const users = await (await s.sdk().get({ path: '/channels/presence-reconnect/users' })).json();
  assert.deepEqual(users, { users: [{ id: 'phoenix' }] });
});
