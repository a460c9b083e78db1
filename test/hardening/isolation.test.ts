// Tenant isolation: with app A's credentials, every HTTP API route (read from src/api/routes/*.ts,
// so a new route is covered or fails this test) refuses app B's ids, and A's own routes show nothing
// of B: no channel, member, count, stored event, subscription or failed webhook; nothing of B is
// triggered, terminated, retried or removed. Sockets of one app never see the other's channels.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { signedFetch, type SignedFetchOptions } from '../helpers/signed-fetch.ts';
import { channelAuth, userAuth } from '../../src/protocol/signatures.ts';
import { ROOT } from './live-server.ts';

const A = { id: 'app-a', key: 'key-a', secret: 'secret-a-0123456789' };
const B = { id: 'app-b', key: 'key-b', secret: 'secret-b-0123456789' };
const ADMIN = 'admin-token-0123456789';
type Json = Record<string, any>;

/** Every route the server registers, read from the route files (the API's and the web console's). */
const ROUTE_FILES = [
  ...readdirSync(join(ROOT, 'src/api/routes')).map((f) => `src/api/routes/${f}`),
  'src/console/routes.ts',
].filter((f) => existsSync(join(ROOT, f)));
const source = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const ROUTES = ROUTE_FILES.flatMap((file) =>
  [...source(file).matchAll(/router\.add\(\s*'([A-Z]+)',\s*'([^']+)'/g)].map((m) => ({
    method: m[1],
    path: m[2],
    file,
  })),
);
/** Routes behind the admin token (app management, the console): a tenant's credentials open none. */
const adminOnly = (file: string) => /routes\/apps\.ts$|^src\/console\//.test(file);

let s: TestServer;
let dir: string;
let bob: RawClient & { socketId: string };
let failedId: number;
const as = (app: typeof A) => ({ key: app.key, secret: app.secret });

async function call(
  app: typeof A,
  method: string,
  path: string,
  o: SignedFetchOptions = {},
): Promise<{ status: number; body: Json }> {
  const res = await signedFetch(s.httpUrl, path, { method, ...as(app), ...o });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : { text } };
}

/** B's state as B sees it, to compare before and after A's attempts. */
async function stateOfB() {
  const history = await call(B, 'GET', `/apps/${B.id}/channels/shared/events`);
  const subs = await call(B, 'GET', `/apps/${B.id}/subscriptions`, { query: { user_id: 'bob' } });
  const failed = await call(B, 'GET', `/apps/${B.id}/webhooks/failed`);
  const channels = await call(B, 'GET', `/apps/${B.id}/channels`, {
    query: { filter_by_prefix: 'presence-', info: 'user_count' },
  });
  return {
    history: history.body.events.length,
    subs: subs.body.subscriptions,
    failed: failed.body.failed.map((w: Json) => [w.id, w.attempts]),
    channels: channels.body,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushi-isolation-'));
  const appsFile = join(dir, 'apps.json');
  const failing = {
    webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['channel_occupied'] }],
    webhookBatchMs: 10,
    webhookRetryForMs: 1,
    webhookTimeoutMs: 1000,
  };
  writeFileSync(
    appsFile,
    JSON.stringify({
      apps: [
        { ...A, options: { clientEvents: true, persist: true } },
        { ...B, options: { clientEvents: true, persist: true, ...failing } },
      ],
    }),
  );
  s = await startServer({
    env: {
      PUSHI_APPS_FILE: appsFile,
      PUSHI_ADMIN_TOKEN: ADMIN,
      PUSHI_APP_ID: undefined,
      PUSHI_APP_KEY: undefined,
      PUSHI_APP_SECRET: undefined,
    },
    webhookPollMs: 50,
  });
  // B: a member on a presence channel, a public and a private channel, a stored event, an offline
  // subscription, a failed webhook.
  bob = await RawClient.established(s.wsUrl(B.key));
  const cd = JSON.stringify({ user_id: 'bob' });
  bob.send({
    event: 'pusher:signin',
    data: {
      user_data: JSON.stringify({ id: 'bob' }),
      auth: userAuth(B.key, B.secret, bob.socketId, JSON.stringify({ id: 'bob' })),
    },
  });
  await bob.waitFor((f) => f.event === 'pusher:signin_success');
  assert.equal(
    (await bob.subscribe('presence-room', channelAuth(B.key, B.secret, bob.socketId, 'presence-room', cd), cd)).event,
    'pusher_internal:subscription_succeeded',
  );
  assert.equal((await bob.subscribe('shared')).event, 'pusher_internal:subscription_succeeded');
  assert.equal(
    (await bob.subscribe('private-b', channelAuth(B.key, B.secret, bob.socketId, 'private-b'))).event,
    'pusher_internal:subscription_succeeded',
  );
  assert.equal(
    (await call(B, 'POST', `/apps/${B.id}/events`, { body: { name: 'stored', channel: 'shared', data: '"b"' } }))
      .status,
    200,
  );
  assert.equal(
    (await call(B, 'POST', `/apps/${B.id}/subscribe`, { body: { user_id: 'bob', event: 'news' } })).status,
    200,
  );
  for (let i = 0; ; i++) {
    const failed = (await call(B, 'GET', `/apps/${B.id}/webhooks/failed`)).body.failed as Json[];
    if (failed.length) {
      failedId = failed[0].id;
      break;
    }
    assert.ok(i < 300, 'the failing webhook of B was given up');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  bob?.close();
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const PARAMS: Record<string, string> = { channel: 'presence-room', userId: 'bob', event: 'news', id: '' };
const BODIES: Record<string, Json> = {
  'POST /apps/:appId/events': { name: 'from-a', channel: 'shared', data: '"a"' },
  'POST /apps/:appId/batch_events': { batch: [{ name: 'from-a', channel: 'shared', data: '"a"' }] },
  'POST /apps/:appId/subscribe': { user_id: 'bob', event: 'stolen' },
  'POST /apps/:appId/subscriptions': { user_id: 'bob', event: 'stolen' },
  'POST /apps/:appId/unsubscribe': { user_id: 'bob', event: 'news' },
  'POST /console/api/apps/:appId/trigger': { event: 'from-a', channel: 'shared', data: '"a"' },
  'PATCH /apps/:appId': { enabled: false },
  'PUT /apps/:appId': { enabled: false },
};
const fill = (path: string, appId: string) =>
  path.replace(/:(\w+)/g, (_, k: string) => {
    if (k === 'appId') return appId;
    assert.ok(k in PARAMS, `route parameter :${k} is new: add it to the isolation test`);
    return k === 'id' ? String(failedId) : PARAMS[k];
  });

describe("app A's credentials on app B's ids", () => {
  test('every API route answers 401 and changes nothing of B', async () => {
    const registered = ROUTE_FILES.reduce((n, f) => n + source(f).split('router.add(').length - 1, 0);
    assert.equal(ROUTES.length, registered, 'every router.add( call was understood');
    const tenantRoutes = ROUTES.filter((r) => r.path.includes(':appId'));
    assert.ok(tenantRoutes.length >= 15, `found ${tenantRoutes.length} routes with :appId`);
    const before = await stateOfB();
    for (const r of tenantRoutes) {
      const body = BODIES[`${r.method} ${r.path}`];
      const path = fill(r.path, B.id);
      const signed = await call(A, r.method, path, body ? { body } : {});
      assert.equal(signed.status, 401, `${r.method} ${path} signed by A: ${JSON.stringify(signed.body)}`);
      if (adminOnly(r.file)) {
        // A's secret as the admin token does not manage apps either (its own included)
        const bearer = await fetch(`${s.httpUrl}${fill(r.path, A.id)}`, {
          method: r.method,
          headers: { Authorization: `Bearer ${A.secret}` },
        });
        await bearer.arrayBuffer();
        assert.equal(bearer.status, 401, `${r.method} ${r.path} with A's secret as bearer`);
      }
    }
    for (const [method, path] of [
      ['GET', '/apps'],
      ['POST', '/apps'],
    ]) {
      assert.equal(
        (await call(A, method, path, method === 'POST' ? { body: { name: 'x' } } : {})).status,
        401,
        `${method} ${path}`,
      );
    }
    assert.deepEqual(await stateOfB(), before);
    assert.equal(bob.closeCode, undefined, "B's socket was not terminated");
    assert.ok(!bob.frames.some((f) => f.event === 'from-a'), 'nothing A triggered reached B');
  });

  test("A's own routes show nothing of B (same channel, user and event names)", async () => {
    const get = (path: string, query?: Record<string, string>) => call(A, 'GET', `/apps/${A.id}${path}`, { query });
    assert.deepEqual((await get('/channels')).body, { channels: {} });
    assert.deepEqual((await get('/channels', { filter_by_prefix: 'presence-', info: 'user_count' })).body, {
      channels: {},
    });
    assert.deepEqual((await get('/channels/shared', { info: 'subscription_count' })).body, {
      occupied: false,
      subscription_count: 0,
    });
    assert.deepEqual((await get('/channels/presence-room/users')).body, { users: [] });
    assert.deepEqual((await get('/channels/shared/events')).body.events, []);
    assert.deepEqual((await get('/subscriptions', { user_id: 'bob' })).body, { subscriptions: [] });
    assert.deepEqual((await get('/webhooks/failed')).body, { pending: 0, failed: [] });
    const before = await stateOfB();
    assert.equal(
      (await call(A, 'POST', `/apps/${A.id}/webhooks/failed/${failedId}/retry`)).status,
      404,
      "B's delivery id is not A's",
    );
    const counted = await call(A, 'POST', `/apps/${A.id}/events`, {
      body: { name: 'from-a', channel: 'shared', data: '"a"', info: 'subscription_count' },
    });
    assert.deepEqual(
      counted.body,
      { channels: { shared: { subscription_count: 0 } } },
      "B's subscriber is not counted",
    );
    assert.equal((await call(A, 'POST', `/apps/${A.id}/users/bob/terminate_connections`)).status, 200);
    assert.equal((await call(A, 'DELETE', `/apps/${A.id}/subscriptions/bob/news`)).status, 200);
    assert.equal(
      (await call(A, 'POST', `/apps/${A.id}/unsubscribe`, { body: { user_id: 'bob', event: 'news' } })).status,
      200,
    );
    // B is untouched: still connected, still subscribed, nothing received, nothing retried
    bob.send({ event: 'pusher:ping' });
    await bob.next('pusher:pong');
    assert.equal(bob.closeCode, undefined);
    assert.deepEqual(await stateOfB(), before);
    assert.ok(!bob.frames.some((f) => f.event === 'from-a'));
  });
});

describe('sockets', () => {
  test("a socket of A sees none of B's channels, members, events or client events", async () => {
    const alice = await RawClient.established(s.wsUrl(A.key));
    const cd = JSON.stringify({ user_id: 'alice' });
    const joined = await alice.subscribe(
      'presence-room',
      channelAuth(A.key, A.secret, alice.socketId, 'presence-room', cd),
      cd,
    );
    assert.deepEqual(decode(joined).presence.ids, ['alice'], "B's member bob is not listed");
    await alice.subscribe('shared');
    await alice.subscribe('private-b', channelAuth(A.key, A.secret, alice.socketId, 'private-b'));
    // B's traffic on the same names
    assert.equal(
      (
        await call(B, 'POST', `/apps/${B.id}/events`, {
          body: { name: 'b-only', channels: ['shared', 'presence-room', 'private-b'], data: '"b"' },
        })
      ).status,
      200,
    );
    bob.send({ event: 'client-b', channel: 'private-b', data: { n: 1 } });
    await bob.waitFor((f) => f.event === 'b-only' && f.channel === 'private-b');
    // A's own traffic arrives, B's never did (A's trigger is the marker that everything before it was delivered)
    assert.equal(
      (await call(A, 'POST', `/apps/${A.id}/events`, { body: { name: 'a-only', channel: 'shared', data: '"a"' } }))
        .status,
      200,
    );
    await alice.waitFor((f) => f.event === 'a-only');
    assert.ok(
      !alice.frames.some(
        (f) => f.event === 'b-only' || f.event === 'client-b' || f.event === 'pusher_internal:member_added',
      ),
      alice.raw.join(' | '),
    );
    assert.ok(
      !bob.frames.some(
        (f) => f.event === 'a-only' || (f.event === 'pusher_internal:member_added' && decode(f).user_id === 'alice'),
      ),
    );
    alice.close();
  });

  test("A's signatures open nothing on a socket of B", async () => {
    const intruder = await RawClient.established(s.wsUrl(B.key));
    const sid = intruder.socketId;
    const cd = JSON.stringify({ user_id: 'mallory' });
    for (const auth of [
      channelAuth(A.key, A.secret, sid, 'private-b'),
      channelAuth(B.key, A.secret, sid, 'private-b'),
    ]) {
      assert.equal((await intruder.subscribe('private-b', auth)).event, 'pusher:subscription_error');
      intruder.frames.length = 0;
    }
    assert.equal(
      (await intruder.subscribe('presence-room', channelAuth(B.key, A.secret, sid, 'presence-room', cd), cd)).event,
      'pusher:subscription_error',
    );
    intruder.send({
      event: 'pusher:signin',
      data: {
        user_data: JSON.stringify({ id: 'bob' }),
        auth: userAuth(B.key, A.secret, sid, JSON.stringify({ id: 'bob' })),
      },
    });
    assert.equal(await intruder.waitClose(), 4009);
    assert.ok(!bob.frames.some((f) => f.event === 'pusher_internal:member_added'), 'no member joined B');
  });
});
