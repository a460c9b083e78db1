// The HTTP API as the official `pusher` SDK drives it, with pusher-js clients receiving.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type Pusher from 'pusher';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { connected, createPusher, disconnectAll, once, record, subscribed } from '../helpers/pusher-js.ts';

let s: TestServer;
let sdk: Pusher;
before(async () => {
  s = await startServer();
  sdk = s.sdk();
});
afterEach(() => disconnectAll());
after(() => s.close());

const json = async (res: { json(): Promise<unknown> }) => (await res.json()) as any;

/** Expects the SDK call to reject with an HTTP status; returns the error body. */
async function rejectsWith(call: Promise<unknown>, status: number): Promise<{ error: string; code: number }> {
  const err = (await call.then(
    () => assert.fail(`expected HTTP ${status}, the call succeeded`),
    (e) => e,
  )) as { status?: number; body?: string };
  assert.equal(err.status, status, `expected ${status}, got ${err.status}: ${err.body}`);
  return JSON.parse(err.body!);
}

/** After an error: the server still delivers a trigger. */
async function stillServes(): Promise<void> {
  const p = createPusher(s);
  const ch = await subscribed(p, 'alive');
  const got = once(ch, 'alive');
  await sdk.trigger('alive', 'alive', { ok: 1 });
  assert.deepEqual(await got, { ok: 1 });
  p.disconnect();
}

test('trigger: one channel, several channels, and socket_id exclusion', async () => {
  const a = createPusher(s);
  const b = createPusher(s);
  const [a1, a2] = [await subscribed(a, 'sdk-one'), await subscribed(a, 'sdk-two')];
  const b1 = await subscribed(b, 'sdk-one');

  const single = once(a1, 'single');
  const res = await sdk.trigger('sdk-one', 'single', { hello: 'world' });
  assert.equal(res.status, 200);
  assert.deepEqual(await json(res), {});
  assert.deepEqual(await single, { hello: 'world' });

  const multi = [once(a1, 'multi'), once(a2, 'multi'), once(b1, 'multi')];
  await sdk.trigger(['sdk-one', 'sdk-two'], 'multi', 'plain string');
  assert.deepEqual(await Promise.all(multi), ['plain string', 'plain string', 'plain string']);

  const excluded = record(a1, 'except');
  const atB = once(b1, 'except');
  await sdk.trigger('sdk-one', 'except', { n: 1 }, { socket_id: await connected(a) });
  assert.deepEqual(await atB, { n: 1 });
  const barrier = once(a1, 'barrier');
  await sdk.trigger('sdk-one', 'barrier', {});
  await barrier;
  assert.equal(excluded.length, 0, 'the excluded socket did not get the event');
});

test('trigger with info returns subscription_count and user_count', async () => {
  const a = createPusher(s, { presence: { user_id: 'u1' } });
  await subscribed(a, 'sdk-info');
  await subscribed(a, 'presence-sdk-info');
  const res = await sdk.trigger(['sdk-info', 'presence-sdk-info'], 'e', {}, { info: 'subscription_count,user_count' });
  assert.deepEqual(await json(res), {
    channels: { 'sdk-info': { subscription_count: 1 }, 'presence-sdk-info': { subscription_count: 1, user_count: 1 } },
  });
});

test('triggerBatch delivers every event to its channel', async () => {
  const p = createPusher(s);
  const [x, y] = [await subscribed(p, 'batch-x'), await subscribed(p, 'batch-y')];
  const got = [once(x, 'first'), once(y, 'second'), once(x, 'third')];
  const res = await sdk.triggerBatch([
    { channel: 'batch-x', name: 'first', data: { i: 1 } },
    { channel: 'batch-y', name: 'second', data: { i: 2 } },
    { channel: 'batch-x', name: 'third', data: 'three' },
  ]);
  assert.equal(res.status, 200);
  assert.deepEqual(await Promise.all(got), [{ i: 1 }, { i: 2 }, 'three']);
});

test('GET /channels lists occupied channels, by prefix and with info', async () => {
  const a = createPusher(s, { presence: { user_id: 'lister-1' } });
  const b = createPusher(s, { presence: { user_id: 'lister-2' } });
  for (const p of [a, b]) {
    await subscribed(p, 'presence-list-room');
    await subscribed(p, 'list-public');
  }
  await subscribed(a, 'list-other');

  const all = await json(await sdk.get({ path: '/channels', params: { filter_by_prefix: 'list-' } }));
  assert.deepEqual(all, { channels: { 'list-public': {}, 'list-other': {} } });
  const counts = await json(
    await sdk.get({ path: '/channels', params: { filter_by_prefix: 'list-', info: 'subscription_count' } }),
  );
  assert.deepEqual(counts.channels['list-public'], { subscription_count: 2 });
  const presence = await json(
    await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-list', info: 'user_count' } }),
  );
  assert.deepEqual(presence, { channels: { 'presence-list-room': { user_count: 2 } } });
  await rejectsWith(sdk.get({ path: '/channels', params: { info: 'user_count' } }), 400);
});

test('GET /channels/{name} with user_count,subscription_count and /users', async () => {
  const one = createPusher(s, { presence: { user_id: 'same' } });
  const two = createPusher(s, { presence: { user_id: 'same' } });
  const three = createPusher(s, { presence: { user_id: 'diff' } });
  for (const p of [one, two, three]) await subscribed(p, 'presence-stats');

  const info = await json(
    await sdk.get({ path: '/channels/presence-stats', params: { info: 'user_count,subscription_count' } }),
  );
  assert.deepEqual(info, { occupied: true, user_count: 2, subscription_count: 3 });
  const users = await json(await sdk.get({ path: '/channels/presence-stats/users' }));
  assert.deepEqual(users.users.map((u: { id: string }) => u.id).sort(), ['diff', 'same']);

  const empty = await json(await sdk.get({ path: '/channels/nobody-here', params: { info: 'subscription_count' } }));
  assert.deepEqual(empty, { occupied: false, subscription_count: 0 });
  await rejectsWith(sdk.get({ path: '/channels/public-x', params: { info: 'user_count' } }), 400);
  await rejectsWith(sdk.get({ path: '/channels/public-x/users' }), 400);
});

test('sendToUser and terminateUserConnections answer 200 and reach the signed-in socket', async () => {
  const c = await RawClient.established(s.wsUrl());
  const { auth, user_data } = sdk.authenticateUser(c.socketId, { id: 'sdk-user' });
  c.send({ event: 'pusher:signin', data: { auth, user_data } });
  await c.waitFor((f) => f.event === 'pusher:signin_success');
  assert.equal((await c.subscribe('#server-to-user-sdk-user')).event, 'pusher_internal:subscription_succeeded');

  const res = await sdk.sendToUser('sdk-user', 'note', { to: 'you' });
  assert.equal(res.status, 200);
  const note = await c.waitFor((f) => f.event === 'note');
  assert.equal(note.channel, '#server-to-user-sdk-user');
  assert.deepEqual(decode(note), { to: 'you' });

  const term = await sdk.terminateUserConnections('sdk-user');
  assert.equal(term.status, 200);
  assert.deepEqual(await json(term), {});
  assert.equal(await c.waitClose(), 4009);
});

test('wrong secret → 401', async () => {
  const body = await rejectsWith(s.sdk({ secret: 'wrong-secret' }).trigger('alive', 'e', {}), 401);
  assert.equal(body.code, 401);
  await stillServes();
});

test('unknown app id → 404', async () => {
  await rejectsWith(s.sdk({ appId: 'no-such-app' }).trigger('alive', 'e', {}), 404);
  await stillServes();
});

test('data over 10 KB → 413; exactly 10 KB is accepted', async () => {
  const p = createPusher(s);
  const ch = await subscribed(p, 'big');
  const got = once(ch, 'exact');
  await sdk.trigger('big', 'exact', 'x'.repeat(10 * 1024));
  assert.equal(((await got) as string).length, 10 * 1024);
  await rejectsWith(sdk.trigger('big', 'over', 'x'.repeat(10 * 1024 + 1)), 413);
  await stillServes();
});

test('more than 100 channels → 400 (the SDK refuses first; the server too)', async () => {
  const channels = Array.from({ length: 101 }, (_, i) => `many-${i}`);
  assert.throws(() => sdk.trigger(channels, 'e', {}), /more than 100 channels/);
  // Past the SDK's own check, straight to the endpoint it uses.
  const post = sdk.post({ path: '/events', body: { name: 'e', data: '{}', channels } as unknown as string });
  const body = await rejectsWith(post, 400);
  assert.match(body.error, /100 channels/);
  await stillServes();
});

test('more than 10 events in a batch → 400', async () => {
  const batch = Array.from({ length: 11 }, (_, i) => ({ channel: `b-${i}`, name: 'e', data: {} }));
  await rejectsWith(sdk.triggerBatch(batch), 400);
  await stillServes();
});
