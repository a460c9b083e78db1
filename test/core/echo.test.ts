// Laravel Echo (broadcaster 'pusher', pusher-js passed in) against the server, with the `pusher`
// SDK standing in for Laravel's broadcaster on the backend.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import { startServer, type TestServer } from '../helpers/server.ts';
import { Pusher, pusherOptions, subscriptionCount, waitUntil, type Identity } from '../helpers/pusher-js.ts';

let s: TestServer;
before(async () => (s = await startServer()));
after(() => s.close());

const echoes: Echo<'pusher'>[] = [];
afterEach(() => {
  for (const e of echoes.splice(0)) e.disconnect();
});

function echo(
  id: Identity = {},
  extra: Record<string, unknown> = {},
  without?: 'channelAuthorization',
): Echo<'pusher'> {
  const options: Record<string, unknown> = {
    broadcaster: 'pusher',
    key: s.app.key,
    Pusher,
    ...pusherOptions(s, id),
    ...extra,
  };
  if (without) delete options[without]; // pusher-js checks `'channelAuthorization' in opts`
  const e = new Echo<'pusher'>(options as ConstructorParameters<typeof Echo<'pusher'>>[0]);
  echoes.push(e);
  return e;
}

/** Resolves with the first call's argument; fails after `ms`. */
function firstCall<T = any>(ms = 10_000): { cb: (v: T) => void; value: Promise<T> } {
  let cb!: (v: T) => void;
  const value = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for an Echo callback')), ms);
    cb = (v) => {
      clearTimeout(timer);
      resolve(v);
    };
  });
  return { cb, value };
}

function subscribedTo(channel: { subscribed(cb: () => void): unknown }): Promise<void> {
  const { cb, value } = firstCall<void>();
  channel.subscribed(cb);
  return value;
}

test('channel().listen() receives SDK events, namespaced and with a leading dot', async () => {
  const e = echo();
  const shipped = firstCall();
  const custom = firstCall();
  const ch = e.channel('orders').listen('OrderShipped', shipped.cb).listen('.order.custom', custom.cb);
  await subscribedTo(ch);
  await s.sdk().trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 1 } });
  await s.sdk().trigger('orders', 'order.custom', { raw: true });
  assert.deepEqual(await shipped.value, { order: { id: 1 } });
  assert.deepEqual(await custom.value, { raw: true });
});

test('private().listen() authorizes through channelAuthorization.customHandler', async () => {
  const e = echo();
  const got = firstCall();
  const ch = e.private('orders.7').listen('.status', got.cb);
  await subscribedTo(ch);
  await s.sdk().trigger('private-orders.7', 'status', { state: 'paid' });
  assert.deepEqual(await got.value, { state: 'paid' });
});

test('private() works with the classic `authorizer` option too', async () => {
  const sdk = s.sdk();
  const authorizer = (channel: { name: string }) => ({
    authorize: (socketId: string, callback: (err: Error | null, data: unknown) => void) =>
      callback(null, sdk.authorizeChannel(socketId, channel.name)),
  });
  const e = echo({}, { authorizer }, 'channelAuthorization');
  const got = firstCall();
  const ch = e.private('legacy').listen('.ping', got.cb);
  await subscribedTo(ch);
  await s.sdk().trigger('private-legacy', 'ping', { legacy: 1 });
  assert.deepEqual(await got.value, { legacy: 1 });
});

test('join(): here, joining and leaving', async () => {
  const alice = echo({ presence: { user_id: '1', user_info: { name: 'Alice' } } });
  const here = firstCall<unknown[]>();
  const joining = firstCall();
  const leaving = firstCall();
  alice.join('room.1').here(here.cb).joining(joining.cb).leaving(leaving.cb);
  assert.deepEqual(await here.value, [{ name: 'Alice' }]);

  const bob = echo({ presence: { user_id: '2', user_info: { name: 'Bob' } } });
  const bobHere = firstCall<unknown[]>();
  bob.join('room.1').here(bobHere.cb);
  const members = await bobHere.value;
  assert.deepEqual(members.map((m) => (m as { name: string }).name).sort(), ['Alice', 'Bob']);
  assert.deepEqual(await joining.value, { name: 'Bob' });

  bob.leave('room.1');
  assert.deepEqual(await leaving.value, { name: 'Bob' });
  await waitUntil(async () => (await subscriptionCount(s, 'presence-room.1')) === 1, 'bob gone from the server');
});

test('whisper / listenForWhisper between two Echo clients (private and presence)', async () => {
  const a = echo({ presence: { user_id: 'wa', user_info: { name: 'A' } } });
  const b = echo({ presence: { user_id: 'wb', user_info: { name: 'B' } } });
  const chA = a.private('whispers');
  const typing = firstCall();
  const chB = b.private('whispers').listenForWhisper('typing', typing.cb);
  await Promise.all([subscribedTo(chA), subscribedTo(chB)]);
  chA.whisper('typing', { name: 'A', typing: true });
  assert.deepEqual(await typing.value, { name: 'A', typing: true });

  const presA = a.join('whisper-room');
  const hello = firstCall();
  const presB = b.join('whisper-room').listenForWhisper('hello', hello.cb);
  await Promise.all([subscribedTo(presA), subscribedTo(presB)]);
  presA.whisper('hello', { from: 'A' });
  assert.deepEqual(await hello.value, { from: 'A' });
});
