// The Pushi server SDK against a real server: signing, every call, typed errors, webhooks;
// and the routes that serve the browser client and the demo.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { VERSION } from '../../src/client/index.ts';
import { webhookSignature } from '../../src/protocol/signatures.ts';
import { Pushi, PushiError, WebhookError } from '../../src/sdk/index.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { client, next, sdk } from './util.ts';

describe('Pushi SDK against the server', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer({ env: { PUSHI_APP_PERSIST: '1' } });
  });
  after(() => ts.close());

  test('triggerEvent and triggerBatch are signed as the server expects', async () => {
    const p = client(ts);
    try {
      const ch = p.subscribe('sdk-news');
      await next(ch, 'subscribe');
      const one = next(ch, 'one');
      const res = await sdk(ts).triggerEvent({
        channels: ['sdk-news', 'other'],
        event: 'one',
        data: { a: 1 },
        info: 'subscription_count',
      });
      assert.deepEqual((await one)[0], { a: 1 });
      assert.equal(res.channels?.['sdk-news'].subscription_count, 1);
      const two = next(ch, 'two');
      await sdk(ts).triggerBatch([{ channel: 'sdk-news', event: 'two', data: 'x', persist: false }]);
      const [data, meta] = await two;
      assert.equal(data, 'x');
      assert.equal(meta.mid, undefined, 'persist: false is honoured');
      // socketId leaves the sender out: 'three', triggered after, arrives; 'skipped' never did.
      const skipped: unknown[] = [];
      ch.bind('skipped', (...args) => skipped.push(args));
      const three = next(ch, 'three');
      await sdk(ts).triggerEvent({ channel: 'sdk-news', event: 'skipped', data: '1', socketId: p.socketId });
      await sdk(ts).triggerEvent({ channel: 'sdk-news', event: 'three', data: '1' });
      await three;
      assert.deepEqual(skipped, [], 'the socket named by socketId did not get the event');
      assert.equal(
        (await sdk(ts).latest('sdk-news')).events.some((e) => e.event === 'skipped'),
        true,
        'it was published all the same',
      );
    } finally {
      p.disconnect();
    }
  });

  test('channels, channel, users, latest, subscribe/unsubscribe', async () => {
    const api = sdk(ts);
    const p = client(ts, {
      authorizer: ({ socketId, channelName }) =>
        api.authorizeChannel(socketId, channelName, { user_id: 'uma', user_info: { n: 1 } }),
    });
    try {
      await next(p.subscribe('presence-sdk'), 'subscribe');
      const list = await api.channels({ prefix: 'presence-', info: 'user_count' });
      assert.deepEqual(list.channels['presence-sdk'], { user_count: 1 });
      assert.deepEqual(await api.channel('presence-sdk', 'user_count,subscription_count'), {
        occupied: true,
        user_count: 1,
        subscription_count: 1,
      });
      assert.deepEqual(await api.users('presence-sdk'), [{ id: 'uma' }]);
      assert.deepEqual(await api.channel('empty-one'), { occupied: false });

      await api.triggerEvent({ channel: 'sdk-history', event: 'e', data: '1' });
      await api.triggerEvent({ channel: 'sdk-history', event: 'e', data: '2' });
      const page = await api.latest('sdk-history', { skip: 0, count: 1 });
      assert.deepEqual(
        page.events.map((e) => e.data),
        ['2'],
      );

      assert.equal((await api.subscribe({ userId: 'uma', event: 'sdk-history' })).created, true);
      assert.equal((await api.unsubscribe({ userId: 'uma', event: 'sdk-history' })).removed, true);
    } finally {
      p.disconnect();
    }
  });

  test('authenticateUser signs pusher:signin; terminateUserConnections closes the user (4009)', async () => {
    const api = sdk(ts);
    const raw = await RawClient.established(ts.wsUrl());
    const { auth, user_data } = api.authenticateUser(raw.socketId, { id: 'tom', user_info: { name: 'Tom' } });
    raw.send({ event: 'pusher:signin', data: { auth, user_data } });
    await raw.waitFor((f) => f.event === 'pusher:signin_success');
    await api.terminateUserConnections('tom');
    assert.equal(await raw.waitClose(), 4009);
  });

  test('typed errors carry the status and the server message (401, 404, 413, network)', async () => {
    const wrong = sdk(ts, { appSecret: 'not-the-secret' });
    const e401 = await wrong.channels().catch((e) => e);
    assert.ok(e401 instanceof PushiError);
    assert.equal(e401.status, 401);
    assert.match(e401.message, /Invalid signature/);

    const e404 = await sdk(ts, { appId: 'no-such-app' })
      .channels()
      .catch((e) => e);
    assert.ok(e404 instanceof PushiError);
    assert.equal(e404.status, 404);
    assert.match(e404.message, /no-such-app/);

    const e413 = await sdk(ts)
      .triggerEvent({ channel: 'big', event: 'e', data: 'x'.repeat(20 * 1024) })
      .catch((e) => e);
    assert.ok(e413 instanceof PushiError);
    assert.equal(e413.status, 413);
    assert.match(e413.message, /limit/);

    const down = await sdk(ts, { port: 1 })
      .channels()
      .catch((e) => e);
    assert.ok(down instanceof PushiError);
    assert.equal(down.status, 0);

    assert.throws(() => sdk(ts).authorizeChannel('nope', 'private-x'), /socket id/);
  });

  test('verifyWebhook accepts the right key and signature and refuses others', () => {
    const api = sdk(ts);
    const body = JSON.stringify({ time_ms: 1, events: [{ name: 'channel_occupied', channel: 'a' }] });
    const headers = { 'x-pusher-key': ts.app.key, 'x-pusher-signature': webhookSignature(ts.app.secret, body) };
    assert.equal(api.verifyWebhook(headers, body).events[0].name, 'channel_occupied');
    assert.equal(api.verifyWebhook(new Headers(headers), Buffer.from(body)).time_ms, 1);
    assert.throws(() => api.verifyWebhook({ ...headers, 'x-pusher-signature': 'f00' }, body), WebhookError);
    assert.throws(
      () => api.verifyWebhook({ ...headers, 'x-pusher-key': 'other' }, body),
      (e: unknown) => e instanceof PushiError && e.status === 401,
    );
  });

  test('configuration falls back to PUSHI_* variables', () => {
    const env = {
      PUSHI_APP_ID: 'i',
      PUSHI_APP_KEY: 'k',
      PUSHI_APP_SECRET: 's',
      PUSHI_HOST: 'example.test',
      PUSHI_PORT: '8181',
    };
    const api = new Pushi({}, env);
    assert.equal(api.appId, 'i');
    assert.equal(api.baseUrl, 'http://example.test:8181');
    assert.throws(() => new Pushi({}, {}), /PUSHI_APP_ID/);
  });

  test('the client version matches package.json', () => {
    assert.equal(VERSION, JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});

describe('static and demo routes', () => {
  test('GET /pushi.js serves the minified browser client with an ETag', async () => {
    const ts = await startServer();
    try {
      const res = await fetch(`${ts.httpUrl}/pushi.js`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /javascript/);
      const text = await res.text();
      assert.match(text, /Pushi/);
      assert.ok(!text.includes('\n  '), 'minified');
      const again = await fetch(`${ts.httpUrl}/pushi.js`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
      assert.equal(again.status, 304);
    } finally {
      await ts.close();
    }
  });

  test('demo mode: the page, a trigger on public channels only, presence auth for demo channels only', async () => {
    const ts = await startServer({ env: { PUSHI_DEMO: '1' } });
    const p = client(ts);
    try {
      const page = await (await fetch(`${ts.httpUrl}/`)).text();
      assert.match(page, /"key":"test-key"/);
      assert.match(page, new RegExp(`"wsPort":${ts.wsPort}`));
      const ch = p.subscribe('demo');
      await next(ch, 'subscribe');
      const got = next(ch, 'message');
      const post = (path: string, body: string, type = 'application/json') =>
        fetch(`${ts.httpUrl}${path}`, { method: 'POST', headers: { 'Content-Type': type }, body });
      assert.equal(
        (await post('/demo/trigger', JSON.stringify({ channel: 'demo', event: 'message', data: 'hello world' })))
          .status,
        200,
      );
      assert.equal((await got)[0], 'hello world');
      assert.equal(
        (await post('/demo/trigger', JSON.stringify({ channel: 'private-x', event: 'm', data: '1' }))).status,
        403,
      );
      const form = 'application/x-www-form-urlencoded';
      const ok = await post('/demo/auth', 'socket_id=1.2&channel_name=presence-demo-chat&name=alice', form);
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse((await ok.json()).channel_data), {
        user_id: 'alice',
        user_info: { name: 'alice' },
        peer: true,
      });
      assert.equal(
        (await post('/demo/auth', 'socket_id=1.2&channel_name=presence-other&name=alice', form)).status,
        403,
      );
      assert.equal(
        (await post('/demo/auth', 'socket_id=1.2&channel_name=presence-demo-chat&name=a%26b', form)).status,
        400,
      );
    } finally {
      p.disconnect();
      await ts.close();
    }
  });

  test('PUSHI_DEMO=0, and configured apps without PUSHI_DEMO=1: no demo page and the demo routes refuse', async () => {
    for (const env of [{ PUSHI_DEMO: '0' }, {}] as Record<string, string>[]) await demoOff(env);
  });
});

async function demoOff(env: Record<string, string>): Promise<void> {
  const ts = await startServer({ env });
  try {
    const page = await (await fetch(`${ts.httpUrl}/`)).text();
    assert.match(page, /demo page is off/);
    assert.ok(!page.includes('test-key'));
    const res = await fetch(`${ts.httpUrl}/demo/trigger`, {
      method: 'POST',
      body: JSON.stringify({ channel: 'demo', event: 'm', data: '1' }),
    });
    assert.equal(res.status, 404);
    const auth = await fetch(`${ts.httpUrl}/demo/auth`, {
      method: 'POST',
      body: 'socket_id=1.2&channel_name=presence-demo-chat&name=x',
    });
    assert.equal(auth.status, 404);
  } finally {
    await ts.close();
  }
}
