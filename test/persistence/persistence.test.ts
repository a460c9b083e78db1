// Persistence through real sockets and HTTP, on SQLite and PostgreSQL: stored events with mid and
// timestamp, offline subscriptions, personal channels (live alias updates), history paging.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { forEachStore } from '../helpers/stores.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { signedFetch } from '../helpers/signed-fetch.ts';

type Sdk = ReturnType<TestServer['sdk']>;
const json = async (r: Promise<Response>) => {
  const res = await r;
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

await forEachStore('persistence', (store) => {
  let s: TestServer;
  let sdk: Sdk;
  before(async () => {
    s = await startServer({ env: store.env });
    sdk = s.sdk();
  });
  after(() => s.close());

  const api = (path: string) => `/apps/${s.app.id}${path}`;
  const post = (path: string, body: unknown) => json(signedFetch(s.httpUrl, api(path), { method: 'POST', body }));
  const get = (path: string, query: Record<string, unknown> = {}) =>
    json(
      signedFetch(s.httpUrl, api(path), {
        query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
      }),
    );
  const personal = async (user: string) => {
    const c = await RawClient.established(s.wsUrl());
    const name = `personal-${user}`;
    const ok = await c.subscribe(name, channelAuth(s.app.key, s.app.secret, c.socketId, name));
    return { c, data: decode(ok) };
  };

  test('a persisted trigger carries mid and timestamp live and is in the channel history', async () => {
    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('orders');
    await sdk.trigger('orders', 'created', { id: 1 }, { persist: true } as never);
    const live = await c.waitFor((f) => f.event === 'created');
    assert.match(String(live.mid), /^[0-9a-z]+$/);
    assert.equal(typeof live.timestamp, 'number');
    const h = await get('/channels/orders/events');
    assert.equal(h.status, 200);
    assert.equal(h.body.events[0].mid, live.mid);
    assert.deepEqual(JSON.parse(h.body.events[0].data), { id: 1 });
    await sdk.trigger('orders', 'volatile', { id: 2 });
    const live2 = await c.waitFor((f) => f.event === 'volatile');
    assert.equal(live2.mid, undefined, 'not persisted unless asked (app default off)');
    c.close();
  });

  test('offline subscriptions are idempotent, listed, and removed', async () => {
    assert.equal((await post('/subscribe', { user_id: 'u-idem', event: 'news' })).body.created, true);
    assert.equal((await post('/subscribe', { user_id: 'u-idem', event: 'news' })).body.created, false);
    const list = await get('/subscriptions', { user_id: 'u-idem' });
    assert.deepEqual(
      list.body.subscriptions.map((x: any) => x.event),
      ['news'],
    );
    assert.equal((await post('/unsubscribe', { user_id: 'u-idem', event: 'news' })).body.removed, true);
    assert.equal((await post('/unsubscribe', { user_id: 'u-idem', event: 'news' })).body.removed, false);
    await post('/subscribe', { user_id: 'u-idem', event: 'sports' });
    const del = await json(signedFetch(s.httpUrl, api('/subscriptions/u-idem/sports'), { method: 'DELETE' }));
    assert.equal(del.body.removed, true);
    assert.deepEqual((await get('/subscriptions', { user_id: 'u-idem' })).body.subscriptions, []);
  });

  test('an event is recorded for the users subscribed at that moment, and comes back on personal-', async () => {
    await post('/subscribe', { user_id: 'ann', event: 'feed' });
    await sdk.trigger('feed', 'first', 'one', { persist: true } as never);
    await post('/subscribe', { user_id: 'bob', event: 'feed' });
    await sdk.trigger('feed', 'second', 'two', { persist: true } as never);
    const ann = await personal('ann');
    assert.deepEqual(ann.data.alias, ['feed']);
    assert.deepEqual(
      ann.data.events.map((e: any) => e.event),
      ['second', 'first'],
      'newest first',
    );
    const bob = await personal('bob');
    assert.deepEqual(
      bob.data.events.map((e: any) => e.event),
      ['second'],
    );
    // Live events on the alias channel keep their real channel name.
    await sdk.trigger('feed', 'third', 'three');
    const live = await ann.c.waitFor((f) => f.event === 'third');
    assert.equal(live.channel, 'feed');
    ann.c.close();
    bob.c.close();
  });

  test('subscriptions made while the user is connected update its socket at once', async () => {
    const { c } = await personal('cat');
    await post('/subscribe', { user_id: 'cat', event: 'alerts' });
    const added = await c.waitFor((f) => f.event === 'pusher_internal:alias_added');
    assert.equal(decode(added).alias, 'alerts');
    await sdk.trigger('alerts', 'fire', 'x');
    assert.equal((await c.waitFor((f) => f.event === 'fire')).channel, 'alerts');
    await post('/unsubscribe', { user_id: 'cat', event: 'alerts' });
    await c.waitFor((f) => f.event === 'pusher_internal:alias_removed');
    await sdk.trigger('alerts', 'fire-again', 'x');
    await sdk.trigger('personal-cat', 'marker', 'x');
    await c.waitFor((f) => f.event === 'marker');
    assert.equal(c.events('fire-again').length, 0, 'left the alias channel');
    c.close();
  });

  test('history from a position: since (a stored mid) gives the events after it, oldest first', async () => {
    for (let i = 0; i < 4; i++) await sdk.trigger('from-here', `s${i}`, String(i), { persist: true } as never);
    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('from-here');
    c.send({ event: 'pusher:latest', data: { channel: 'from-here', count: 4 } });
    const newestFirst = decode(await c.next('pusher_internal:latest')).events;
    const first = newestFirst[3]; // s0
    c.send({ event: 'pusher:latest', data: { channel: 'from-here', since: first.mid, count: 2 } });
    const page = decode(await c.next('pusher_internal:latest'));
    assert.deepEqual([page.since, page.count, page.events.map((e: any) => e.event)], [first.mid, 2, ['s1', 's2']]);
    const res = await signedFetch(s.httpUrl, api('/channels/from-here/events'), {
      query: { since: page.events[1].mid },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      ((await res.json()) as any).events.map((e: any) => e.event),
      ['s3'],
    );
    const unknown = await signedFetch(s.httpUrl, api('/channels/from-here/events'), {
      query: { since: 'zzzzzzzzzzzz' },
    });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as any).error, /not a stored event/);
    const both = await signedFetch(s.httpUrl, api('/channels/from-here/events'), {
      query: { since: first.mid, skip: '2' },
    });
    assert.equal(both.status, 400);
    c.send({ event: 'pusher:latest', data: { channel: 'from-here', since: 'no such one' } });
    assert.match(decode(await c.next('pusher:error')).message, /since must be/);
    c.close();
  });

  test('pusher:latest pages a channel and a personal channel, with clear errors', async () => {
    for (let i = 0; i < 5; i++) await sdk.trigger('paged', `e${i}`, String(i), { persist: true } as never);
    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('paged');
    c.send({ event: 'pusher:latest', data: { channel: 'paged', skip: 1, count: 2 } });
    const page = decode(await c.next('pusher_internal:latest'));
    assert.deepEqual(
      page.events.map((e: any) => e.event),
      ['e3', 'e2'],
    );
    c.send({ event: 'pusher:latest', data: { channel: 'paged', skip: 500, count: 10 } });
    assert.deepEqual(decode(await c.next('pusher_internal:latest')).events, []);
    c.send({ event: 'pusher:latest', data: { channel: 'paged', count: 100000 } });
    assert.match(decode(await c.next('pusher:error')).message, /count must be/);
    c.send({ event: 'pusher:latest', data: { channel: 'not-mine' } });
    assert.match(decode(await c.next('pusher:error')).message, /not subscribed/);
    c.send({ event: 'pusher:latest', data: { channel: 'bad name!' } });
    assert.match(decode(await c.next('pusher:error')).message, /invalid characters/);
    // The socket still works after the errors.
    c.send({ event: 'pusher:latest', data: { channel: 'paged', count: 1 } });
    assert.equal(decode(await c.next('pusher_internal:latest')).events[0].event, 'e4');
    c.close();
    const { c: pc } = await personal('ann');
    pc.send({ event: 'pusher:latest', data: { channel: 'personal-ann', count: 1 } });
    assert.equal(decode(await pc.next('pusher_internal:latest')).events[0].event, 'second');
    pc.close();
  });

  test('client events are stored when they ask to be', async () => {
    const a = await RawClient.established(s.wsUrl());
    const b = await RawClient.established(s.wsUrl());
    for (const c of [a, b])
      await c.subscribe('private-room', channelAuth(s.app.key, s.app.secret, c.socketId, 'private-room'));
    a.send({ event: 'client-note', channel: 'private-room', data: { n: 1 }, persist: true });
    const got = await b.waitFor((f) => f.event === 'client-note');
    assert.ok(got.mid, 'stored client event carries its mid');
    const h = await get('/channels/private-room/events');
    assert.equal(h.body.events[0].event, 'client-note');
    a.close();
    b.close();
  });

  test('bad input on the persistence routes gets 400 with a reason', async () => {
    assert.equal((await post('/subscribe', { user_id: '', event: 'x' })).status, 400);
    assert.equal((await post('/subscribe', { user_id: 'u', event: 'bad name!' })).status, 400);
    assert.equal((await post('/subscribe', { user_id: 'a/b', event: 'x' })).status, 400);
    const huge = await get('/channels/paged/events', { count: 1000 });
    assert.equal(huge.status, 400);
    assert.match(huge.body.error, /count/);
    assert.equal((await get('/channels/paged/events', { skip: -1 })).status, 400);
    assert.equal((await get('/subscriptions')).status, 400);
  });
});

await forEachStore('history on subscribe', (store) => {
  let s: TestServer;
  before(async () => (s = await startServer({ env: { ...store.env, PUSHI_APP_PERSIST: '1' } })));
  after(() => s.close());

  test('apps that persist by default hand back the last events in subscription_succeeded', async () => {
    const sdk = s.sdk();
    for (let i = 0; i < 12; i++) await sdk.trigger('chat', 'msg', `m${i}`);
    const c = await RawClient.established(s.wsUrl());
    const ok = decode(await c.subscribe('chat'));
    assert.equal(ok.events.length, 10, 'default history count');
    assert.equal(ok.events[0].data, 'm11');
    c.close();
  });
});
