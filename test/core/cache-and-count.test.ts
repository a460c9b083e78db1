// Cache channels (replay of the last HTTP-triggered event, cache_miss, ?info=cache) and
// subscription_count events, with pusher-js, a raw socket for exact frame order, and the SDK.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { appsFileEnv, createPusher, disconnectAll, once, record, subscribed, waitUntil } from '../helpers/pusher-js.ts';

let s: TestServer;
before(async () => (s = await startServer()));
afterEach(() => disconnectAll());
after(() => s.close());

/** Subscribes a raw socket (signed by the SDK when `sign`) and returns the frame after subscription_succeeded. */
async function frameAfterSucceeded(channel: string, sign = false) {
  const c = await RawClient.established(s.wsUrl());
  const auth = sign ? s.sdk().authorizeChannel(c.socketId, channel).auth : undefined;
  const ok = await c.subscribe(channel, auth);
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  const i = c.frames.indexOf(ok);
  const next = await c.waitFor((f) => c.frames.indexOf(f) === i + 1);
  c.close();
  return next;
}

test('cache-: the last HTTP-triggered event is replayed right after subscription_succeeded', async () => {
  await s.sdk().trigger('cache-x', 'price', { v: 1 });
  await s.sdk().trigger('cache-x', 'price', { v: 2 });
  const next = await frameAfterSucceeded('cache-x');
  assert.equal(next.event, 'price');
  assert.equal(next.channel, 'cache-x');
  assert.deepEqual(decode(next), { v: 2 }, 'only the last event is kept');

  const p = createPusher(s);
  const ch = p.subscribe('cache-x');
  assert.deepEqual(await once(ch, 'price'), { v: 2 });
});

test('an empty cache channel sends pusher:cache_miss', async () => {
  const next = await frameAfterSucceeded('cache-empty');
  assert.deepEqual(next, { event: 'pusher:cache_miss', channel: 'cache-empty' });
  const p = createPusher(s);
  const ch = p.subscribe('cache-empty-too');
  await once(ch, 'pusher:cache_miss');
  assert.equal(ch.subscribed, true);
});

test('GET /channels/{name}?info=cache shows the cached event', async () => {
  await s.sdk().trigger('cache-info', 'state', { on: true });
  const res = await s.sdk().get({ path: '/channels/cache-info', params: { info: 'cache' } });
  const body = (await res.json()) as { occupied: boolean; cache: { event: string; data: string; ttl: number } };
  assert.equal(body.occupied, false);
  assert.equal(body.cache.event, 'state');
  assert.deepEqual(JSON.parse(body.cache.data), { on: true });
  assert.ok(body.cache.ttl > 0);
  const none = await (await s.sdk().get({ path: '/channels/cache-nothing', params: { info: 'cache' } })).json();
  assert.deepEqual(none, { occupied: false });
});

test('private-cache-: replayed to an authorized subscriber; client events are not cached', async () => {
  const a = createPusher(s);
  const chA = await subscribed(a, 'private-cache-doc');
  const peer = createPusher(s);
  const chPeer = await subscribed(peer, 'private-cache-doc');
  await s.sdk().trigger('private-cache-doc', 'saved', { rev: 7 });
  const forwarded = once(chPeer, 'client-typing');
  chA.trigger('client-typing', { not: 'cached' });
  await forwarded; // the server has handled the client event
  const next = await frameAfterSucceeded('private-cache-doc', true);
  assert.equal(next.event, 'saved');
  assert.deepEqual(decode(next), { rev: 7 });
  const b = createPusher(s);
  assert.deepEqual(await once(b.subscribe('private-cache-doc'), 'saved'), { rev: 7 });
});

test('presence-cache-: replay and cache_miss for presence members', async () => {
  const who = { presence: { user_id: 'cache-member' } };
  const missP = createPusher(s, who);
  await once(missP.subscribe('presence-cache-empty'), 'pusher:cache_miss');
  await s.sdk().trigger('presence-cache-room', 'topic', { t: 'hello' });
  const p = createPusher(s, who);
  const ch = p.subscribe('presence-cache-room');
  assert.deepEqual(await once(ch, 'topic'), { t: 'hello' });
});

test('private-encrypted-cache-: the cached ciphertext decrypts for a later subscriber', async () => {
  const sdk = s.sdk({ encryptionMasterKeyBase64: randomBytes(32).toString('base64') });
  await sdk.trigger('private-encrypted-cache-vault', 'code', { pin: 1234 });
  const p = createPusher(s, { signer: sdk });
  const ch = p.subscribe('private-encrypted-cache-vault');
  assert.deepEqual(await once(ch, 'code'), { pin: 1234 });
});

test('subscription_count follows clients joining and leaving (app option on)', async () => {
  const counted = await startServer({ env: appsFileEnv({ subscriptionCount: true }) });
  try {
    const a = createPusher(counted);
    const chA = await subscribed(a, 'counted');
    const countsA = record(chA, 'pusher:subscription_count');
    await waitUntil(
      () => chA.subscriptionCount === 1 || countsA.some((c) => c.data.subscription_count === 1),
      'count 1',
    );

    const b = createPusher(counted);
    const chB = await subscribed(b, 'counted');
    await waitUntil(() => chA.subscriptionCount === 2 && chB.subscriptionCount === 2, 'count 2 at both');
    assert.deepEqual(countsA.at(-1)!.data, { subscription_count: 2 });

    b.disconnect();
    await waitUntil(() => countsA.at(-1)?.data.subscription_count === 1, 'count back to 1');
    assert.equal(chA.subscriptionCount, 1);

    // Presence channels do not get it (members carry the count). A first count on a channel goes
    // out at once, so the barrier below would follow it.
    const pres = createPusher(counted, { presence: { user_id: 'p' } });
    const chP = await subscribed(pres, 'presence-counted');
    const presCounts = record(chP, 'pusher:subscription_count');
    const pres2 = createPusher(counted, { presence: { user_id: 'q' } });
    await subscribed(pres2, 'presence-counted');
    const barrier = once(chP, 'barrier');
    await counted.sdk().trigger('presence-counted', 'barrier', {});
    await barrier;
    assert.equal(presCounts.length, 0);
  } finally {
    disconnectAll();
    await counted.close();
  }
});

test('no subscription_count when the app option is off', async () => {
  const a = createPusher(s);
  const ch = await subscribed(a, 'uncounted');
  const counts = record(ch, 'pusher:subscription_count');
  const b = createPusher(s);
  await subscribed(b, 'uncounted');
  const barrier = once(ch, 'barrier');
  await s.sdk().trigger('uncounted', 'barrier', {});
  await barrier;
  assert.equal(counts.length, 0);
});
