// Web Push end to end on loopback: targets registered through the signed API, triggers and client
// events fanned out through the queue to a push service that checks VAPID and decrypts (RFC 8291).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { Pushi } from '../../src/sdk/index.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { forEachStore } from '../helpers/stores.ts';
import { createApp, drained, type TestApp, until } from './helpers.ts';
import { browserKeys, type BrowserKeys, startPushService, type PushService } from './push-service.ts';

await forEachStore('Web Push targets', ({ env }) => {
  describe('targets', { timeout: 120_000 }, () => suite(env));
});

function suite(env: Record<string, string>): void {
  let ts: TestServer;
  let push: PushService;
  const keys: Record<string, BrowserKeys> = {};
  for (const name of ['alice', 'bob', 'carol', 'dead', 'gone', 'flaky', 'direct']) keys[name] = browserKeys();
  const sub = (name: string) => ({ endpoint: push.endpoint(name), p256dh: keys[name]!.p256dh, auth: keys[name]!.auth });
  const trigger = (app: TestApp, body: Record<string, unknown>) => app.call('POST', '/events', { body });
  const add = (app: TestApp, channel: string, name: string, extra: Record<string, unknown> = {}) =>
    app.call('POST', '/targets', { body: { channel, kind: 'web_push', target: sub(name), ...extra } });

  before(async () => {
    push = await startPushService(keys);
    ts = await startServer({ env, notify: { pollMs: 200 } });
  });
  after(async () => {
    await ts?.close();
    await push?.close();
  });

  test('the VAPID public key is made on first request, kept, and signs the pushes', async () => {
    const app = await createApp(ts, { webPushTtl: 120 });
    const first = await app.call('GET', '/vapid_key');
    assert.equal(first.status, 200);
    const key = first.body.vapid_public_key as string;
    assert.equal(Buffer.from(key, 'base64url').length, 65);
    // Browsers ask by app key, unsigned.
    const again = (await (await fetch(`${ts.httpUrl}/vapid_key/${app.key}`)).json()) as { vapid_public_key: string };
    assert.equal(again.vapid_public_key, key);
    assert.equal((await ts.server.store.apps.get(app.id))!.options.vapidPublicKey, key);
    assert.equal(
      await new Pushi({ appId: app.id, appKey: app.key, appSecret: app.secret, port: ts.httpPort }).vapidPublicKey(),
      key,
    );
    assert.equal((await fetch(`${ts.httpUrl}/vapid_key/nope`)).status, 404);
    assert.equal((await fetch(`${ts.httpUrl}/apps/${app.id}/vapid_key`)).status, 401, 'by id it is a signed call');

    assert.equal((await add(app, 'news', 'alice')).status, 201);
    assert.deepEqual((await add(app, 'news', 'alice')).body, {
      channel: 'news',
      kind: 'web_push',
      address: push.endpoint('alice'),
      created: false,
    });
    const before = push.received.length;
    assert.equal(
      (await trigger(app, { name: 'story', channel: 'news', data: '{"title":"Hi","body":"there"}' })).status,
      200,
    );
    const [got] = (await push.waitFor(before + 1)).slice(before);
    assert.equal(got!.path, '/push/alice');
    assert.equal(got!.payload, '{"title":"Hi","body":"there"}');
    assert.equal(got!.ttl, '120');
    assert.equal(got!.vapidKey, key);
    assert.equal(got!.claims.sub, 'mailto:noreply@pushi.invalid');

    // `web_push` in the trigger wins over data.
    await trigger(app, { name: 'story', channel: 'news', data: 'plain', web_push: { title: 'Custom' } });
    assert.equal((await push.waitFor(before + 2))[before + 1]!.payload, '{"title":"Custom"}');
    await drained(ts);
  });

  test('each target once per trigger: own channel, personal channels of subscribed users; none for other channels', async () => {
    const app = await createApp(ts);
    await app.call('GET', '/vapid_key');
    const personal = (channel: string, name: string) =>
      add(app, channel, name, { channel_auth: channelAuth(app.key, app.secret, push.endpoint(name), channel) });
    assert.equal((await add(app, 'orders', 'alice')).status, 201);
    assert.equal((await personal('personal-u1', 'alice')).status, 201); // alice again, through u1's personal channel
    assert.equal((await personal('personal-u2', 'bob')).status, 201);
    assert.equal((await add(app, 'elsewhere', 'carol')).status, 201);
    assert.equal((await app.call('POST', '/subscribe', { body: { user_id: 'u1', event: 'orders' } })).status, 200);
    assert.equal((await app.call('POST', '/subscribe', { body: { user_id: 'u2', event: 'orders' } })).status, 200);

    const start = push.received.length;
    await trigger(app, { name: 'unrelated', channel: 'not-registered', data: 'x' });
    await trigger(app, { name: 'placed', channels: ['orders', 'elsewhere-not'], data: '"order 1"' });
    await push.waitFor(start + 2);
    await drained(ts);
    const got = push.received
      .slice(start)
      .map((r) => `${r.path} ${r.payload}`)
      .sort();
    assert.deepEqual(got, ['/push/alice "order 1"', '/push/bob "order 1"']);
  });

  test('dead subscriptions (410, 404) are removed; failures are retried with back-off', async () => {
    const app = await createApp(ts);
    await app.call('GET', '/vapid_key');
    await add(app, 'c1', 'dead');
    await add(app, 'c2', 'dead'); // on two channels: removed from both
    await add(app, 'c1', 'gone');
    await add(app, 'c1', 'flaky');
    push.answer('dead', 410);
    push.answer('gone', 404);
    push.answer('flaky', 500, 503);
    const start = push.received.length;
    await trigger(app, { name: 'e', channel: 'c1', data: 'after retries' });
    const [got] = (await push.waitFor(start + 1)).slice(start);
    assert.equal(got!.path, '/push/flaky');
    assert.equal(got!.payload, 'after retries');
    assert.deepEqual(
      push.log.filter((l) => l.path === '/push/flaky').map((l) => l.status),
      [500, 503, 201],
    );
    await until(
      async () => (await app.call('GET', '/targets', { query: { channel: 'c1' } })).body.targets.length === 1,
      'dead targets removed',
    );
    const left = await app.call('GET', '/targets', { query: { kind: 'web_push', address: push.endpoint('dead') } });
    assert.deepEqual(left.body.targets, []);
    await drained(ts);
  });

  test('private-family channels need the token with the target as socket id; client events notify', async () => {
    const app = await createApp(ts, { clientEvents: true });
    await app.call('GET', '/vapid_key');
    const channel = 'private-room';
    const endpoint = push.endpoint('bob');
    assert.equal((await add(app, channel, 'bob')).status, 403);
    assert.equal(
      (await add(app, channel, 'bob', { channel_auth: channelAuth(app.key, app.secret, 'other', channel) })).status,
      403,
    );
    assert.equal(
      (await add(app, channel, 'bob', { channel_auth: channelAuth(app.key, app.secret, endpoint, channel) })).status,
      201,
    );

    const ws = await RawClient.established(`ws://127.0.0.1:${ts.wsPort}/app/${app.key}?protocol=7`);
    try {
      const ok = await ws.subscribe(channel, channelAuth(app.key, app.secret, ws.socketId, channel));
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
      const start = push.received.length;
      ws.send({ event: 'client-typing', channel, data: { who: 'me' } });
      const [got] = (await push.waitFor(start + 1)).slice(start);
      assert.deepEqual([got!.path, got!.payload], ['/push/bob', '{"who":"me"}']);
    } finally {
      ws.close();
    }
    await drained(ts);
  });

  test('listing and deleting by channel and by target', async () => {
    const app = await createApp(ts);
    for (const [ch, name] of [
      ['a', 'alice'],
      ['b', 'alice'],
      ['a', 'bob'],
    ] as const)
      await add(app, ch, name);
    await app.call('POST', '/targets', { body: { channel: 'a', kind: 'email', target: 'x@example.com' } });
    const byChannel = await app.call('GET', '/targets', { query: { channel: 'a' } });
    assert.deepEqual(
      byChannel.body.targets.map((t: any) => `${t.kind} ${t.address}`),
      ['email x@example.com', `web_push ${push.endpoint('alice')}`, `web_push ${push.endpoint('bob')}`],
    );
    assert.deepEqual(byChannel.body.targets[1].target, sub('alice'));
    assert.equal((await app.call('GET', '/targets')).status, 400, 'a filter is required');
    assert.equal((await app.call('DELETE', '/targets')).status, 400, 'no delete-everything by accident');

    // By target (a URL with slashes, through the query): every channel of it, nothing else.
    const del = await app.call('DELETE', '/targets', { query: { kind: 'web_push', address: push.endpoint('alice') } });
    assert.deepEqual([del.body.removed, del.body.targets.map((t: any) => t.channel)], [2, ['a', 'b']]);
    // By channel and kind.
    const del2 = await app.call('DELETE', '/targets', { query: { channel: 'a', kind: 'email' } });
    assert.equal(del2.body.removed, 1);
    assert.deepEqual(
      (await app.call('GET', '/targets', { query: { channel: 'a' } })).body.targets.map((t: any) => t.address),
      [push.endpoint('bob')],
    );
    assert.equal((await app.call('DELETE', '/targets', { query: { channel: 'a' } })).body.removed, 1);
    assert.equal(
      (
        await app.call('POST', '/targets', {
          body: { channel: 'a', kind: 'web_push', target: { endpoint: 'ftp://x' } },
        })
      ).status,
      400,
    );
  });

  test('direct messaging answers a result per target', async () => {
    const app = await createApp(ts);
    await app.call('GET', '/vapid_key');
    push.answer('gone', 410);
    const start = push.received.length;
    const res = await app.call('POST', '/messaging', {
      body: {
        data: 'ignored',
        web_push: 'direct hello',
        targets: [
          { kind: 'web_push', target: sub('direct') },
          { kind: 'web_push', target: sub('gone') },
        ],
      },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.results, [
      { kind: 'web_push', target: push.endpoint('direct'), success: true, status: 201 },
      {
        kind: 'web_push',
        target: push.endpoint('gone'),
        success: false,
        error: 'push service answered 410: forced 410',
        status: 410,
        gone: true,
      },
    ]);
    assert.equal(push.received[start]!.payload, 'direct hello');
    assert.equal(
      (await app.call('POST', '/messaging', { body: { data: 'x', targets: [{ kind: 'fax', target: '1' }] } })).status,
      400,
    );
  });
}
