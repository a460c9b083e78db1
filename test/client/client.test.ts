// The Pushi client (Node, `ws`) against a real server: events, binds, auth, presence, peer and
// personal channels, history.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Pushi } from '../../src/client/index.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { client, connected, next, sdk, waitFor } from './util.ts';

describe('Pushi client against the server', () => {
  let ts: TestServer;
  const clients: Pushi[] = [];
  const open = (...args: Parameters<typeof client>) => {
    const p = client(...args);
    clients.push(p);
    return p;
  };
  const signer = () => sdk(ts);
  const authorizer =
    (channelData?: object) =>
    ({ socketId, channelName }: { socketId: string; channelName: string }) =>
      signer().authorizeChannel(socketId, channelName, channelData as { user_id: string } | undefined);

  before(async () => {
    ts = await startServer({ env: { PUSHI_APP_PERSIST: '1' } });
  });
  after(async () => {
    for (const p of clients) p.disconnect();
    await ts.close();
  });

  test('subscribe and receive a triggered event with the callback shape fn(event, data, meta)', async () => {
    const p = open(ts);
    const ch = p.subscribe('news');
    await next(ch, 'subscribe');
    const calls: unknown[][] = [];
    p.bind('message', (...args) => calls.push(['global', ...args]));
    ch.bind('message', (...args) => calls.push(['channel', ...args]));
    const got = next(ch, 'message');
    await signer().triggerEvent({ channel: 'news', event: 'message', data: { text: 'hi' } });
    await got;
    await waitFor('both listeners', () => calls.length === 2);
    for (const [, event, data, meta] of calls) {
      assert.equal(event, 'message');
      assert.deepEqual(data, { text: 'hi' });
      assert.equal((meta as { channel: string }).channel, 'news');
      assert.ok((meta as { mid?: string }).mid, 'persisted events carry their mid');
    }
    // The seed's string data comes through as a string.
    const plain = next(p, 'message');
    await signer().triggerEvent({ channel: 'news', event: 'message', data: 'hello world' });
    assert.equal((await plain)[0], 'hello world');
  });

  test('unbind stops delivery; bindGlobal sees every app event', async () => {
    const p = open(ts);
    const ch = p.subscribe('unbind-test');
    await next(ch, 'subscribe');
    const seen: string[] = [];
    const fn = () => seen.push('bound');
    ch.bind('tick', fn);
    p.bindGlobal((event) => seen.push(`global:${event}`));
    ch.unbind('tick', fn);
    const done = next(ch, 'done');
    await signer().triggerBatch([
      { channel: 'unbind-test', event: 'tick', data: '1' },
      { channel: 'unbind-test', event: 'done', data: '2' },
    ]);
    await done;
    assert.deepEqual(seen, ['global:tick', 'global:done']);
  });

  test('private channels through an auth endpoint (form POST with headers), and client events', async () => {
    let seenHeader: string | undefined;
    const auth: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seenHeader = req.headers['x-token'] as string;
        const form = new URLSearchParams(body);
        const answer = signer().authorizeChannel(form.get('socket_id')!, form.get('channel_name')!);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => auth.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(auth.address() as { port: number }).port}/auth`;
    try {
      const a = open(ts, { authEndpoint: endpoint, authHeaders: { 'X-Token': 'secret-token' } });
      const b = open(ts, { authorizer: authorizer() });
      const ca = a.subscribe('private-room');
      const cb = b.subscribe('private-room');
      await Promise.all([next(ca, 'subscribe'), next(cb, 'subscribe')]);
      assert.equal(seenHeader, 'secret-token');
      const got = next(cb, 'client-typing');
      const own: unknown[] = [];
      ca.bind('client-typing', (...args) => own.push(args));
      assert.equal(ca.send('client-typing', { who: 'a' }), true);
      const [data, meta] = await got;
      assert.deepEqual(data, { who: 'a' });
      assert.equal(meta.channel, 'private-room');
      // b answers only after a's event reached it: an echo to a would have arrived before the answer.
      const answered = next(ca, 'client-ack');
      assert.equal(cb.send('client-ack', {}), true);
      await answered;
      assert.deepEqual(own, [], 'the sender does not get its own client event');
      assert.throws(() => ca.send('typing', {}), /client-/);
    } finally {
      auth.close();
    }
  });

  test('a refused signature or a missing auth endpoint ends in subscription_error', async () => {
    const p = open(ts, { authorizer: () => ({ auth: 'test-key:bad' }) });
    const [err] = await next(p.subscribe('private-nope'), 'subscription_error');
    assert.match(err.error, /signature/i);
    const q = open(ts);
    const [local] = await next(q.subscribe('private-nope'), 'subscription_error');
    assert.equal(local.type, 'AuthError');
    assert.match(local.error, /authEndpoint or authorizer/);
  });

  test('presence: members on subscribe, member_added and member_removed callbacks', async () => {
    const a = open(ts, { authorizer: authorizer({ user_id: 'ann', user_info: { name: 'Ann' } }) });
    const ca = a.subscribe('presence-lobby');
    await next(ca, 'subscribe');
    assert.deepEqual(ca.me, { id: 'ann', info: { name: 'Ann' } });
    const added = next(ca, 'member_added');
    const globalAdded = next(a, 'member_added');
    const b = open(ts, { authorizer: authorizer({ user_id: 'bob', user_info: { name: 'Bob' } }) });
    const cb = b.subscribe('presence-lobby');
    await next(cb, 'subscribe');
    assert.deepEqual([...cb.members.keys()].sort(), ['ann', 'bob']);
    assert.deepEqual((await added)[0], { id: 'bob', info: { name: 'Bob' } });
    assert.equal((await globalAdded)[1].channel, 'presence-lobby');
    const removed = next(ca, 'member_removed');
    cb.unsubscribe();
    assert.equal((await removed)[0].id, 'bob');
    assert.deepEqual([...ca.members.keys()], ['ann']);
    assert.equal(b.channel('presence-lobby'), undefined);
  });

  test('peer channels: messages arrive through the global bind with no channel object', async () => {
    const data = (id: string) => ({ user_id: id, user_info: {}, peer: true });
    const a = open(ts, { authorizer: authorizer(data('amy')) });
    const b = open(ts, { authorizer: authorizer(data('ben')) });
    await next(a.subscribe('presence-pairs'), 'subscribe');
    const joined = next(a.channel('presence-pairs')!, 'member_added');
    await next(b.subscribe('presence-pairs'), 'subscribe');
    await joined;
    const pair = (a.constructor as typeof Pushi).peerChannel('presence-pairs', 'ben', 'amy');
    assert.equal(pair, 'peer-pairs:amy&ben');
    const got = next(b, 'client-whisper');
    // The server joined amy to the pair in the same step that sent her member_added.
    assert.equal(a.sendChannel('client-whisper', { text: 'psst' }, pair), true);
    const [msg, meta] = await got;
    assert.deepEqual(msg, { text: 'psst' });
    assert.equal(meta.channel, pair);
    assert.equal(b.channel(pair), undefined);
  });

  test('personal channels expand into their alias channels, live additions and removals included', async () => {
    const api = signer();
    await api.subscribe({ userId: 'pat', event: 'orders' });
    const p = open(ts, { authorizer: authorizer() });
    const personal = p.subscribe('personal-pat');
    const [data] = await next(personal, 'subscribe');
    assert.deepEqual(data.alias, ['orders']);
    const orders = p.channel('orders')!;
    assert.ok(orders?.subscribed);
    assert.equal(orders.via, 'personal-pat');
    const got = next(orders, 'created');
    await api.triggerEvent({ channel: 'orders', event: 'created', data: { id: 7 } });
    assert.deepEqual((await got)[0], { id: 7 });

    const addedSub = next(p, 'subscribe');
    await api.subscribe({ userId: 'pat', event: 'invoices' });
    assert.equal((await addedSub)[1].channel, 'invoices');
    assert.equal(p.channel('invoices')?.via, 'personal-pat');
    const gone = next(p, 'unsubscribe');
    await api.unsubscribe({ userId: 'pat', event: 'orders' });
    assert.equal((await gone)[1].channel, 'orders');
    assert.equal(p.channel('orders'), undefined);
    personal.unsubscribe();
    assert.equal(p.channel('invoices'), undefined, 'aliases go with their personal channel');
  });

  test('channel.latest resolves with the stored events, newest first, data decoded', async () => {
    const p = open(ts);
    const ch = p.subscribe('history');
    await next(ch, 'subscribe');
    const api = signer();
    for (const n of [1, 2, 3]) await api.triggerEvent({ channel: 'history', event: 'n', data: { n } });
    await waitFor('three stored events', async () => (await api.latest('history')).events.length === 3);
    const page = await ch.latest(0, 2);
    assert.deepEqual(
      page.events.map((e) => e.data),
      [{ n: 3 }, { n: 2 }],
    );
    assert.ok(page.events.every((e) => e.mid && e.timestamp && e.channel === 'history'));
    const rest = await ch.latest(2, 10);
    assert.deepEqual(
      rest.events.map((e) => e.data),
      [{ n: 1 }],
    );
    const q = open(ts, { autoConnect: false });
    await assert.rejects(q.latest('history'), /Not connected/);
  });

  test('a failing listener does not stop the others', async () => {
    const p = open(ts);
    await connected(p);
    const ch = p.subscribe('robust');
    await next(ch, 'subscribe');
    const original = console.error;
    const logged: unknown[] = [];
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      ch.bind('boom', () => {
        throw new Error('listener bug');
      });
      const got = next(ch, 'boom');
      await signer().triggerEvent({ channel: 'robust', event: 'boom', data: '{}' });
      await got;
    } finally {
      console.error = original;
    }
    assert.equal(logged.length, 1);
  });
});
