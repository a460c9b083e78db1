// User authentication: pusher-js signin, #server-to-user- channels, watchlists, terminating a
// user's connections, and apps that require sign-in within a timeout.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import {
  appsFileEnv,
  connected,
  type Pusher,
  createPusher,
  disconnectAll,
  once,
  record,
  subscribed,
  waitUntil,
} from '../helpers/pusher-js.ts';

let s: TestServer;
before(async () => (s = await startServer()));
afterEach(() => disconnectAll());
after(() => s.close());

type UserData = { id: string; user_info?: Record<string, unknown>; watchlist?: string[] };

/** A pusher-js client signed in as `user`, its #server-to-user- channel joined. */
async function signedIn(server: TestServer, user: UserData): Promise<Pusher> {
  const p = createPusher(server, { user });
  p.signin();
  await p.user.signinDonePromise;
  assert.equal(p.user.user_data?.id, user.id);
  await waitUntil(() => p.user.serverToUserChannel?.subscribed, `#server-to-user-${user.id} subscription`);
  return p;
}

/** A raw socket signed in with the SDK's authenticateUser. */
async function rawSignedIn(id: string): Promise<RawClient & { socketId: string }> {
  const c = await RawClient.established(s.wsUrl());
  c.send({ event: 'pusher:signin', data: s.sdk().authenticateUser(c.socketId, { id }) });
  const ok = await c.waitFor((f) => f.event === 'pusher:signin_success' || f.event === 'pusher:error');
  assert.equal(ok.event, 'pusher:signin_success');
  return c;
}

test('pusher-js signin; user.bind receives sdk.sendToUser', async () => {
  const p = await signedIn(s, { id: 'ada', user_info: { name: 'Ada' } });
  assert.deepEqual(p.user.user_data, { id: 'ada', user_info: { name: 'Ada' } });
  const got = once(p.user, 'welcome');
  await s.sdk().sendToUser('ada', 'welcome', { msg: 'hi Ada' });
  assert.deepEqual(await got, { msg: 'hi Ada' });
});

test('signin_success echoes user_data; a bad signature closes with 4009', async () => {
  const c = await RawClient.established(s.wsUrl());
  const auth = s.sdk().authenticateUser(c.socketId, { id: 'echo-me', user_info: { a: 1 } });
  c.send({ event: 'pusher:signin', data: auth });
  const ok = await c.waitFor((f) => f.event === 'pusher:signin_success');
  assert.deepEqual(decode(ok), { user_data: auth.user_data });

  const bad = await RawClient.established(s.wsUrl());
  const forged = s.sdk({ secret: 'forged' }).authenticateUser(bad.socketId, { id: 'ada' });
  bad.send({ event: 'pusher:signin', data: forged });
  assert.equal(await bad.waitClose(), 4009);
  assert.equal(decode(bad.events('pusher:error')[0]).code, 4009);
  c.close();
});

test('another user’s #server-to-user- channel cannot be subscribed', async () => {
  const anon = await RawClient.established(s.wsUrl());
  assert.equal((await anon.subscribe('#server-to-user-bob')).event, 'pusher:subscription_error');

  const eve = await rawSignedIn('eve');
  assert.equal((await eve.subscribe('#server-to-user-bob')).event, 'pusher:subscription_error');
  assert.equal((await eve.subscribe('#server-to-user-eve')).event, 'pusher_internal:subscription_succeeded');

  const bob = await signedIn(s, { id: 'bob' });
  const bobGot = once(bob.user, 'private-note');
  await s.sdk().sendToUser('bob', 'private-note', { secret: 1 });
  await bobGot;
  await s.sdk().sendToUser('eve', 'barrier', {});
  await eve.waitFor((f) => f.event === 'barrier');
  assert.equal(eve.events('private-note').length, 0, 'eve never sees bob’s events');
  assert.equal(anon.events('private-note').length, 0);
  anon.close();
  eve.close();
});

test('watchlist: online for watched users already online, then online/offline on first/last connection', async () => {
  const carol = await signedIn(s, { id: 'wl-carol' });
  const watcher = createPusher(s, { user: { id: 'wl-watcher', watchlist: ['wl-bob', 'wl-carol'] } });
  const online = record(watcher.user.watchlist, 'online');
  const offline = record(watcher.user.watchlist, 'offline');
  watcher.signin();
  await watcher.user.signinDonePromise;
  await waitUntil(() => online.length, 'online for carol');
  assert.deepEqual(online[0].data, { name: 'online', user_ids: ['wl-carol'] });

  const bob1 = await signedIn(s, { id: 'wl-bob' });
  await waitUntil(() => online.length >= 2, 'online for bob');
  assert.deepEqual(online[1].data.user_ids, ['wl-bob']);
  const bob2 = await signedIn(s, { id: 'wl-bob' }); // a second connection: bob is already online

  bob1.disconnect();
  carol.disconnect(); // barrier: carol's offline follows anything bob1 leaving caused
  await waitUntil(() => offline.length, 'offline for carol');
  assert.deepEqual(
    offline.map((r) => r.data.user_ids),
    [['wl-carol']],
  );
  assert.equal(online.length, 2, 'no second online for bob');

  bob2.disconnect();
  await waitUntil(() => offline.length >= 2, 'offline for bob');
  assert.deepEqual(offline[1].data, { name: 'offline', user_ids: ['wl-bob'] });
});

test('terminateUserConnections closes that user’s sockets only', async () => {
  const x1 = await signedIn(s, { id: 'term-x' });
  const x2 = await signedIn(s, { id: 'term-x' });
  const xRaw = await rawSignedIn('term-x');
  const y = await signedIn(s, { id: 'term-y' });
  const anon = createPusher(s);
  await connected(anon);
  const errors = record(x1.connection, 'error');

  await s.sdk().terminateUserConnections('term-x');
  assert.equal(await xRaw.waitClose(), 4009);
  await waitUntil(
    () => x1.connection.state === 'disconnected' && x2.connection.state === 'disconnected',
    'both x clients closed',
  );
  assert.ok(
    errors.some((e) => e.data?.data?.code === 4009),
    'pusher-js saw code 4009',
  );
  await waitUntil(() => !s.server.hub.states.get(s.app.id)!.users.has('term-x'), 'the server to forget term-x');

  const got = once(y.user, 'still-here');
  await s.sdk().sendToUser('term-y', 'still-here', {});
  await got;
  assert.equal(y.connection.state, 'connected');
  assert.equal(anon.connection.state, 'connected');
});

test('pusher-js signs in again after a reconnect and keeps receiving user events', async () => {
  const p = await signedIn(s, { id: 'again' });
  const before = p.connection.socket_id;
  s.server.hub.states.get(s.app.id)!.connections.get(before)!.closeWithError(4200, 'test asks the client to reconnect');
  await waitUntil(() => p.connection.state === 'connected' && p.connection.socket_id !== before, 'a new connection');
  await waitUntil(() => p.user.serverToUserChannel?.subscribed, 'the user channel again');
  const second = await signedIn(s, { id: 'again' });
  const got = [once(p.user, 'both'), once(second.user, 'both')];
  await s.sdk().sendToUser('again', 'both', { n: 2 });
  assert.deepEqual(await Promise.all(got), [{ n: 2 }, { n: 2 }], 'every connection of the user gets it');
});

test('an app requiring user authentication closes unsigned connections with 4009 after the timeout', async () => {
  // 3 s: room for the signed client's round trips to its auth endpoint on a busy machine.
  const strict = await startServer({ env: appsFileEnv({ userAuthentication: true, userAuthenticationTimeout: 3 }) });
  try {
    const signed = await signedIn(strict, { id: 'strict-user' });
    const unsigned = await RawClient.established(strict.wsUrl());
    assert.equal(await unsigned.waitClose(10_000), 4009);
    assert.equal(decode(unsigned.events('pusher:error')[0]).code, 4009);
    // The signed-in client connected earlier, so its deadline has passed too: it must still be open.
    const got = once(signed.user, 'ok');
    await strict.sdk().sendToUser('strict-user', 'ok', { alive: true });
    assert.deepEqual(await got, { alive: true });
    assert.equal(signed.connection.state, 'connected');
  } finally {
    disconnectAll();
    await strict.close();
  }
});

test('presence without channel_data uses the signed-in user (pusher-js)', async () => {
  // pusher-js allows an auth response without channel_data once signed in; the member is the user.
  const p = createPusher(s, { user: { id: 'pres-signed', user_info: { n: 1 } } });
  p.signin();
  await p.user.signinDonePromise;
  const ch = await subscribed(p, 'presence-signed');
  const res = await s.sdk().get({ path: '/channels/presence-signed/users' });
  assert.deepEqual(await res.json(), { users: [{ id: 'pres-signed' }] });
  assert.equal((ch as unknown as { members: { count: number } }).members.count, 1);
});
