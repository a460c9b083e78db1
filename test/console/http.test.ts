// The console's HTTP side: off without PUSHI_ADMIN_TOKEN, 401 without the right token, the SSE debug
// stream reporting what real clients do, the trigger endpoint, the overview and the stored lookup.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { call, openStream, presenceMember, TOKEN } from './helpers.ts';

const API = [
  'GET /console/api/info',
  'GET /console/api/apps/test-app/overview',
  'GET /console/api/apps/test-app/stored?channel=a',
  'GET /console/api/apps/test-app/stream',
  'POST /console/api/apps/test-app/trigger',
  'GET /console/api/apps',
  'GET /console/api/apps/test-app',
  'PATCH /console/api/apps/test-app',
  'POST /console/api/apps/test-app/rotate_secret',
  'DELETE /console/api/apps/test-app',
];

describe('console without PUSHI_ADMIN_TOKEN', () => {
  let ts: TestServer;
  before(async () => (ts = await startServer()));
  after(() => ts?.close());

  test('is off: the page says how to turn it on (404), the assets and endpoints answer 404', async () => {
    const page = await call(ts, 'GET', '/console', undefined, null);
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    assert.match(page.text, /PUSHI_ADMIN_TOKEN/);
    for (const path of ['/console/console.js', '/console/console.css'])
      assert.equal((await call(ts, 'GET', path, undefined, null)).status, 404, path);
    for (const line of API) {
      const [method, path] = line.split(' ');
      const res = await call(
        ts,
        method,
        path,
        method === 'POST' ? { channel: 'a', event: 'e', data: 'x' } : undefined,
        'anything',
      );
      assert.equal(res.status, 404, line);
      assert.match(res.body.error, /PUSHI_ADMIN_TOKEN/);
    }
  });
});

describe('console with PUSHI_ADMIN_TOKEN', () => {
  let ts: TestServer;
  before(async () => (ts = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN } })));
  after(() => ts?.close());

  test('the page and its assets are served without a token, with a strict CSP; the endpoints need it (401)', async () => {
    const page = await call(ts, 'GET', '/console', undefined, null);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.doesNotMatch(page.text, new RegExp(TOKEN));
    assert.doesNotMatch(page.text, /https?:\/\//, 'nothing loaded from elsewhere');
    const js = await call(ts, 'GET', '/console/console.js', undefined, null);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /javascript/);
    assert.equal((await call(ts, 'GET', '/console/console.css', undefined, null)).status, 200);
    for (const line of API) {
      const [method, path] = line.split(' ');
      const body = method === 'POST' ? { channel: 'a', event: 'e', data: 'x' } : undefined;
      for (const token of [null, 'wrong-token', TOKEN + 'x']) {
        const res = await call(ts, method, path, body, token);
        assert.equal(res.status, 401, `${line} with ${token}`);
      }
    }
    const info = await call(ts, 'GET', '/console/api/info');
    assert.equal(info.status, 200);
    assert.deepEqual(
      { ws: info.body.ws_port, http: info.body.http_port, store: info.body.store },
      { ws: ts.wsPort, http: ts.httpPort, store: 'sqlite' },
    );
    assert.equal((await call(ts, 'GET', '/console/api/apps/nope/overview')).status, 404);
  });

  test('the stream reports connections, subscriptions, API and client events, presence joins and leaves', async () => {
    const stream = await openStream(ts, 'test-app');
    assert.match(stream.headers.get('content-type')!, /text\/event-stream/);
    try {
      const c = await RawClient.established(ts.wsUrl());
      await stream.waitFor((e) => e.type === 'connected' && e.socket_id === c.socketId);
      await c.subscribe('news');
      await stream.waitFor((e) => e.type === 'subscribed' && e.channel === 'news' && e.socket_id === c.socketId);
      await ts.sdk().trigger('news', 'headline', { title: 'hi' });
      const api = await stream.waitFor((e) => e.type === 'api_event');
      assert.deepEqual([api.channel, api.event, JSON.parse(api.data)], ['news', 'headline', { title: 'hi' }]);

      const m = await presenceMember(ts, ts.app, 'presence-room', 'alice', { name: 'Alice' });
      const joined = await stream.waitFor((e) => e.type === 'member_added');
      assert.deepEqual([joined.channel, joined.user_id, joined.info], ['presence-room', 'alice', { name: 'Alice' }]);
      m.send({ event: 'client-typing', channel: 'presence-room', data: { on: true } });
      const ce = await stream.waitFor((e) => e.type === 'client_event');
      assert.deepEqual(
        [ce.channel, ce.event, ce.user_id, JSON.parse(ce.data)],
        ['presence-room', 'client-typing', 'alice', { on: true }],
      );
      m.close();
      await stream.waitFor((e) => e.type === 'member_removed' && e.user_id === 'alice');
      await stream.waitFor((e) => e.type === 'disconnected' && e.socket_id === m.socketId);
      c.close();
      await stream.waitFor((e) => e.type === 'vacated' && e.channel === 'news');
    } finally {
      await stream.close();
    }
  });

  test('the stream reports webhooks sent and failed', async () => {
    const hooks = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(req.url === '/ok' ? 200 : 500).end();
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    const events = ['channel_occupied'];
    const set = await call(ts, 'PATCH', '/apps/test-app', {
      options: {
        webhookBatchMs: 10,
        webhooks: [
          { url: `${base}/ok`, events },
          { url: `${base}/fail`, events },
        ],
      },
    });
    assert.equal(set.status, 200, set.text);
    const stream = await openStream(ts, 'test-app');
    try {
      const c = await RawClient.established(ts.wsUrl());
      await c.subscribe('hooked');
      await stream.waitFor((e) => e.type === 'webhook_sent');
      await stream.waitFor((e) => e.type === 'webhook_failed' && /http/.test(e.detail));
      c.close();
    } finally {
      await stream.close();
      await call(ts, 'PATCH', '/apps/test-app', { options: { webhooks: [] } });
      hooks.close();
    }
  });

  test('trigger delivers to subscribers with the app limits checked; overview and stored lookup', async () => {
    const c = await RawClient.established(ts.wsUrl());
    await c.subscribe('orders');
    const m = await presenceMember(ts, ts.app, 'presence-team', 'bob', { role: 'dev' });
    const bad = await call(ts, 'POST', '/console/api/apps/test-app/trigger', {
      channel: 'no spaces',
      event: 'e',
      data: 'x',
    });
    assert.equal(bad.status, 400);
    const ok = await call(ts, 'POST', '/console/api/apps/test-app/trigger', {
      channel: 'orders',
      event: 'created',
      data: '{"id":7}',
      persist: true,
    });
    assert.equal(ok.status, 200, ok.text);
    const got = await c.waitFor((f) => f.event === 'created');
    assert.equal(got.data, '{"id":7}');

    const o = await call(ts, 'GET', '/console/api/apps/test-app/overview');
    assert.equal(o.status, 200);
    assert.ok(o.body.connections >= 2);
    assert.ok(o.body.busiest.some((b: any) => b.channel === 'orders' && b.events >= 1 && b.subscribers === 1));
    const team = o.body.presence.find((p: any) => p.channel === 'presence-team');
    assert.deepEqual(team.members, [{ id: 'bob', info: { role: 'dev' } }]);
    assert.ok(Array.isArray(o.body.series.connections));

    await ts.sdk().post({ path: '/subscribe', body: { user_id: 'u1', event: 'orders' } as unknown as string }); // the SDK JSON-encodes it
    const byChannel = await call(ts, 'GET', '/console/api/apps/test-app/stored?channel=orders');
    assert.equal(byChannel.status, 200, byChannel.text);
    assert.deepEqual(
      byChannel.body.events.map((e: any) => [e.event, e.data]),
      [['created', '{"id":7}']],
    );
    assert.deepEqual(
      byChannel.body.subscriptions.map((s: any) => s.user_id),
      ['u1'],
    );
    const byUser = await call(ts, 'GET', '/console/api/apps/test-app/stored?user_id=u1');
    assert.deepEqual(
      byUser.body.subscriptions.map((s: any) => s.channel),
      ['orders'],
    );
    assert.equal((await call(ts, 'GET', '/console/api/apps/test-app/stored')).status, 400);
    c.close();
    m.close();
  });
});
