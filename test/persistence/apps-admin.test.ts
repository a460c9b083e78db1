// App management: the admin-token HTTP routes (off without PUSHI_ADMIN_TOKEN) and the `pushi apps`
// CLI working on the same database as a running server (SQLite and PostgreSQL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { runCli } from '../helpers/child-server.ts';
import { postgresForTests } from '../helpers/postgres.ts';
import { signedFetch } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

// First, so that in CI an unreachable PostgreSQL fails the file before any test starts.
const pgTarget = await postgresForTests();
if (!pgTarget.available) console.log(`# ${pgTarget.reason}`);
else after(pgTarget.dropSchema);

const TOKEN = 'admin-token-for-tests';
type Json = Record<string, any>;
interface AppView {
  id: string;
  key: string;
  secret: string;
  name: string;
  enabled: boolean;
  options: Json;
}

async function admin(s: TestServer, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method,
    headers: {
      ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** Signed trigger with explicit credentials; resolves with the status and body. */
async function trigger(
  s: TestServer,
  app: { id: string; key: string; secret: string },
  channel: string,
  event = 'ping',
) {
  const res = await signedFetch(s.httpUrl, `/apps/${app.id}/events`, {
    method: 'POST',
    key: app.key,
    secret: app.secret,
    body: { name: event, channel, data: '{}' },
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** Retries `check` until it stops throwing (apps are cached for ~2 s by the server). */
async function eventually<T>(check: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The close code a connection with this key gets, or 0 when it is established. */
async function connectOutcome(s: TestServer, key: string): Promise<number> {
  const c = await RawClient.connect(s.wsUrl(key));
  const first = await c.waitFor((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error');
  if (first.event === 'pusher:connection_established') {
    c.close();
    return 0;
  }
  return c.waitClose();
}

describe('app management without PUSHI_ADMIN_TOKEN', () => {
  let s: TestServer;
  before(async () => (s = await startServer()));
  after(() => s.close());

  test('every admin route answers 403 saying how to turn it on', async () => {
    for (const [method, path] of [
      ['GET', '/apps'],
      ['POST', '/apps'],
      ['GET', '/apps/test-app'],
      ['PATCH', '/apps/test-app'],
      ['DELETE', '/apps/test-app'],
      ['POST', '/apps/test-app/rotate_secret'],
    ]) {
      const r = await admin(
        s,
        method!,
        path!,
        method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' },
        'anything',
      );
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.match(r.body.error, /PUSHI_ADMIN_TOKEN/);
    }
    // Nothing was changed: the seeded app still works.
    assert.equal(
      (await trigger(s, { id: 'test-app', key: 'test-key', secret: 'test-secret' }, 'still-here')).status,
      200,
    );
  });
});

describe('app management over HTTP with the admin token', () => {
  let s: TestServer;
  before(async () => (s = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN } })));
  after(() => s.close());

  test('a missing or wrong token is 401', async () => {
    for (const token of [null, 'wrong', '', TOKEN + 'x']) {
      const r = await admin(s, 'GET', '/apps', undefined, token);
      assert.equal(r.status, 401, `token ${JSON.stringify(token)}`);
      assert.match(r.body.error, /admin token/);
    }
    const basic = await fetch(`${s.httpUrl}/apps`, { headers: { Authorization: `Basic ${TOKEN}` } });
    assert.equal(basic.status, 401);
  });

  test('create generates credentials; list and show find the app; bad input is 400', async () => {
    const a = await admin(s, 'POST', '/apps', { name: 'shop', options: { maxConnections: 5 } });
    const b = await admin(s, 'POST', '/apps', { name: 'shop' });
    assert.equal(a.status, 201);
    const app = a.body as AppView;
    assert.match(app.id, /^\d+$/);
    assert.match(app.key, /^[0-9a-f]{20}$/);
    assert.match(app.secret, /^[0-9a-f]{40}$/);
    assert.equal(app.name, 'shop');
    assert.equal(app.enabled, true);
    assert.equal(app.options.maxConnections, 5);
    assert.notEqual(b.body.id, app.id);
    assert.notEqual(b.body.key, app.key);
    assert.notEqual(b.body.secret, app.secret);

    const list = await admin(s, 'GET', '/apps');
    assert.equal(list.status, 200);
    const ids = (list.body.apps as AppView[]).map((x) => x.id);
    assert.ok(ids.includes(app.id) && ids.includes(b.body.id) && ids.includes('test-app'));
    const shown = await admin(s, 'GET', `/apps/${app.id}`);
    assert.deepEqual(shown.body, a.body);
    assert.equal((await admin(s, 'GET', '/apps/no-such-app')).status, 404);

    for (const bad of [{}, { name: '' }, { name: 'x', options: [] }, { name: 'x', options: { clientEvents: 'yes' } }]) {
      const r = await admin(s, 'POST', '/apps', bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(typeof r.body.error, 'string');
    }
    const malformed = await fetch(`${s.httpUrl}/apps`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: '{nope',
    });
    assert.equal(malformed.status, 400);
  });

  test('updated options take effect at once, for open and new connections; other options are kept', async () => {
    const app = (await admin(s, 'POST', '/apps', { name: 'chat', options: { maxConnections: 50 } })).body as AppView;
    const channel = 'private-room';
    const join = async () => {
      const c = await RawClient.established(s.wsUrl(app.key));
      const ok = await c.subscribe(channel, channelAuth(app.key, app.secret, c.socketId, channel));
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
      return c;
    };
    const before = await join();
    before.send({ event: 'client-hello', channel, data: {} });
    const refused = await before.waitFor((f) => f.event === 'pusher:error');
    assert.equal(decode(refused).code, 4301);

    const patched = await admin(s, 'PATCH', `/apps/${app.id}`, { options: { clientEvents: true } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.options.clientEvents, true);
    assert.equal(patched.body.options.maxConnections, 50, 'PATCH merges options');
    assert.equal((await admin(s, 'GET', `/apps/${app.id}`)).body.options.clientEvents, true);

    const [sender, receiver] = [await join(), await join()];
    sender.send({ event: 'client-hello', channel, data: { n: 1 } });
    const got = await receiver.waitFor((f) => f.event === 'client-hello');
    assert.deepEqual(got.data, { n: 1 });
    sender.close();
    // A socket opened before the update follows it too.
    before.send({ event: 'client-hello', channel, data: { n: 2 } });
    assert.deepEqual((await receiver.waitFor((f) => f.event === 'client-hello' && (f.data as Json).n === 2)).data, {
      n: 2,
    });

    const bad = await admin(s, 'PATCH', `/apps/${app.id}`, { options: { clientEvents: 1 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /clientEvents/);
    assert.equal((await admin(s, 'PATCH', '/apps/no-such-app', { name: 'x' })).status, 404);

    // Disabling is an update too: open and new connections get 4003, signed calls 403.
    assert.equal((await admin(s, 'PUT', `/apps/${app.id}`, { enabled: false })).body.enabled, false);
    assert.equal(await receiver.waitClose(), 4003);
    assert.equal(await before.waitClose(), 4003);
    assert.equal(await connectOutcome(s, app.key), 4003);
    assert.equal((await trigger(s, app, 'x')).status, 403);
  });

  test('rotating the secret: the old secret is refused (401), the new one works', async () => {
    const app = (await admin(s, 'POST', '/apps', { name: 'rotating' })).body as AppView;
    assert.equal((await trigger(s, app, 'before')).status, 200);
    const early = await RawClient.established(s.wsUrl(app.key)); // opened before the rotation
    const rotated = await admin(s, 'POST', `/apps/${app.id}/rotate_secret`);
    assert.equal(rotated.status, 200);
    const fresh = rotated.body as AppView;
    assert.equal(fresh.key, app.key);
    assert.match(fresh.secret, /^[0-9a-f]{40}$/);
    assert.notEqual(fresh.secret, app.secret);
    const old = await trigger(s, app, 'old');
    assert.equal(old.status, 401);
    assert.match(old.body.error, /signature/i);
    assert.equal((await trigger(s, fresh, 'new')).status, 200);
    // Channel auth follows the secret too, also on a connection opened before the rotation.
    for (const c of [early, await RawClient.established(s.wsUrl(app.key))]) {
      const refused = await c.subscribe('private-x', channelAuth(app.key, app.secret, c.socketId, 'private-x'));
      assert.equal(refused.event, 'pusher:subscription_error', 'the old secret no longer signs channel auth');
      const ok = await c.subscribe('private-y', channelAuth(app.key, fresh.secret, c.socketId, 'private-y'));
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
      c.close();
    }
    assert.equal((await admin(s, 'POST', '/apps/no-such-app/rotate_secret')).status, 404);
  });

  test('delete: then 404 everywhere and its WebSocket key is refused with 4001', async () => {
    const app = (await admin(s, 'POST', '/apps', { name: 'doomed' })).body as AppView;
    const open = await RawClient.established(s.wsUrl(app.key));
    const del = await admin(s, 'DELETE', `/apps/${app.id}`);
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { deleted: app.id });
    assert.equal((await admin(s, 'GET', `/apps/${app.id}`)).status, 404);
    assert.equal((await admin(s, 'DELETE', `/apps/${app.id}`)).status, 404);
    assert.ok(!((await admin(s, 'GET', '/apps')).body.apps as AppView[]).some((x) => x.id === app.id));
    assert.equal((await trigger(s, app, 'gone')).status, 404);
    assert.equal(await connectOutcome(s, app.key), 4001);
    assert.equal(await open.waitClose(), 4001, 'its open connections are closed too');
  });
});

describe('app input over HTTP: misspelt options refused, brought credentials kept', () => {
  let s: TestServer;
  before(async () => (s = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN } })));
  after(() => s.close());

  test('an unknown option or field is a 400 naming it and the nearest valid name', async () => {
    const before = (await admin(s, 'GET', '/apps/test-app')).body;
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/apps', { name: 'x', options: { maxConections: 5 } }, /"maxConections".*"maxConnections"/],
      ['POST', '/apps', { name: 'x', options: { clientEvent: true } }, /"clientEvent".*"clientEvents"/],
      ['POST', '/apps', { name: 'x', option: {} }, /"option".*"options"/],
      ['POST', '/apps', { name: 'x', options: { webhooks: [{ url: 'http://h/', event: [] }] } }, /"event".*"events"/],
      [
        'POST',
        '/apps',
        { name: 'x', options: { historyCount: 101 } },
        /historyCount must be a whole number from 0 to 100/,
      ],
      [
        'POST',
        '/apps',
        { name: 'x', options: { maxConnections: -1 } },
        /maxConnections must be a whole number 0 or more/,
      ],
      ['PATCH', '/apps/test-app', { options: { clientEvent: true } }, /"clientEvent".*"clientEvents"/],
      ['PATCH', '/apps/test-app', { nmae: 'y' }, /"nmae".*"name"/],
      ['PATCH', '/apps/test-app', { secret: 'abcdefghij' }, /rotate_secret/],
    ];
    for (const [method, path, body, pattern] of cases) {
      const r = await admin(s, method, path, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, pattern);
    }
    assert.deepEqual((await admin(s, 'GET', '/apps/test-app')).body, before, 'nothing of a refused PATCH applied');
  });

  test('POST /apps keeps a given id, key and secret: the old credentials sign and connect', async () => {
    const brought = { id: '1234567', key: 'moved-from-pusher-key', secret: 'moved-from-pusher-secret' };
    const created = await admin(s, 'POST', '/apps', { name: 'moved', ...brought, options: { clientEvents: true } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.id, created.body.key, created.body.secret], Object.values(brought));
    const sub = await RawClient.established(s.wsUrl(brought.key));
    await sub.subscribe('moved-channel');
    assert.equal((await trigger(s, brought, 'moved-channel', 'arrived')).status, 200);
    await sub.waitFor((f) => f.event === 'arrived' && f.channel === 'moved-channel');
    sub.close();

    const clash = [
      [{ name: 'again', id: brought.id }, /id "1234567" exists/],
      [{ name: 'again', key: brought.key }, /key "moved-from-pusher-key" exists/],
    ] as const;
    for (const [body, pattern] of clash) {
      const r = await admin(s, 'POST', '/apps', body);
      assert.equal(r.status, 409, JSON.stringify(body));
      assert.match(r.body.error, pattern);
    }
    const bad = [
      [{ name: 'b', id: 'a/b' }, /"id" may hold only letters, digits/],
      [{ name: 'b', key: 'has space' }, /"key" may hold only/],
      [{ name: 'b', secret: 'short' }, /"secret" must be 8 to 256 characters long, got 5/],
      [{ name: 'b', id: 7 }, /"id" must be a string/],
    ] as const;
    for (const [body, pattern] of bad) {
      const r = await admin(s, 'POST', '/apps', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, pattern);
    }
  });
});

function cliSuite(name: string, env: () => Record<string, string>, skip: string | false) {
  describe(`pushi apps CLI beside a running server on ${name}`, { skip }, () => {
    let s: TestServer;
    let storeEnv: Record<string, string>;
    before(async () => {
      s = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN, ...env() } });
      storeEnv = env().DATABASE_URL ? env() : { PUSHI_DB: `${s.dataDir}/pushi.db` };
    });
    after(() => s.close());

    test('create, list, show and delete on the live database', { timeout: 120_000 }, async () => {
      const created = await runCli(['apps', 'create', 'from-cli'], storeEnv);
      assert.equal(created.code, 0, created.output);
      const app = JSON.parse(created.output) as AppView;
      assert.equal(app.name, 'from-cli');
      assert.match(app.key, /^[0-9a-f]{20}$/);
      assert.match(app.secret, /^[0-9a-f]{40}$/);

      // The running server serves the new app: it connects and triggers.
      const c = await eventually(() => RawClient.established(s.wsUrl(app.key)));
      await c.subscribe('cli-news');
      const sdk = s.sdk({ appId: app.id, key: app.key, secret: app.secret });
      await eventually(() => sdk.trigger('cli-news', 'hello', { from: 'cli' }));
      const got = await c.waitFor((f) => f.event === 'hello');
      assert.equal(got.data, JSON.stringify({ from: 'cli' }));
      // Stays open through the delete below: the server must close it, as the admin API does.
      const stays = c;

      // Same database both ways: the HTTP API sees the CLI's app and the CLI the API's.
      assert.equal((await admin(s, 'GET', `/apps/${app.id}`)).body.secret, app.secret);
      const viaHttp = (await admin(s, 'POST', '/apps', { name: 'from-http' })).body as AppView;
      const list = await runCli(['apps', 'list'], storeEnv);
      assert.equal(list.code, 0, list.output);
      assert.match(list.output, new RegExp(`^${app.id}\\t${app.key}\\tenabled\\tfrom-cli$`, 'm'));
      assert.match(list.output, new RegExp(`^${viaHttp.id}\\t.*from-http$`, 'm'));
      const shown = await runCli(['apps', 'show', viaHttp.id], storeEnv);
      assert.equal(shown.code, 0, shown.output);
      assert.equal((JSON.parse(shown.output) as AppView).secret, viaHttp.secret);

      const deleted = await runCli(['apps', 'delete', app.id], storeEnv);
      assert.equal(deleted.code, 0, deleted.output);
      assert.match(deleted.output, new RegExp(`deleted app ${app.id}`));
      // Within the server's app cache lifetime (2 s, docs/configuration.md), the deleted app stops
      // working, open sockets included (nothing else looks the app up meanwhile: the server re-reads
      // apps that have sockets). Measured from the CLI's exit, with 3 s for a busy machine; the wait
      // is longer, so a late close fails on its time rather than timing out.
      const deletedAt = Date.now();
      assert.equal(await stays.waitClose(15_000), 4001, 'the open socket is closed with 4001');
      const closedMs = Date.now() - deletedAt;
      assert.ok(closedMs <= 5000, `closed ${closedMs} ms after the delete`);
      await eventually(async () => assert.equal(await connectOutcome(s, app.key), 4001));
      await eventually(async () => assert.equal((await trigger(s, app, 'gone')).status, 404));
    });

    test('create with brought credentials; import soketi and Pusher-style files', { timeout: 120_000 }, async () => {
      const tag = name === 'SQLite' ? 'sq' : 'pg';
      const created = await runCli(
        [
          'apps',
          'create',
          'brought',
          '--id',
          `${tag}-brought`,
          `--key=${tag}-brought-key`,
          '--secret',
          'brought-secret',
        ],
        storeEnv,
      );
      assert.equal(created.code, 0, created.output);
      assert.equal(JSON.parse(created.output).secret, 'brought-secret');
      const clash = await runCli(['apps', 'create', 'again', '--id', `${tag}-brought`], storeEnv);
      assert.equal(clash.code, 1);
      assert.match(clash.output, new RegExp(`^pushi: an app with id "${tag}-brought" exists$`, 'm'));
      const typo = await runCli(['apps', 'create', 'x', '--secrte', 'abcdefghij'], storeEnv);
      assert.match(typo.output, /unknown option for apps create "--secrte" \(did you mean "--secret"\?\)/);

      const soketi = join(s.dataDir, `${tag}-soketi.json`);
      writeFileSync(
        soketi,
        JSON.stringify({
          appManager: {
            array: {
              apps: [
                {
                  id: `${tag}-soketi`,
                  key: `${tag}-soketi-key`,
                  secret: 'soketi-secret',
                  enableClientMessages: true,
                  max_connections: '-1',
                  maxPresenceMembersPerChannel: 50,
                  maxEventPayloadInKb: 20,
                  maxBackendEventsPerSecond: 100,
                  webhooks: [{ url: 'http://127.0.0.1:1/hook', event_types: ['channel_occupied'] }],
                },
              ],
            },
          },
        }),
      );
      const imported = await runCli(['apps', 'import', soketi], storeEnv);
      assert.equal(imported.code, 0, imported.output);
      assert.match(imported.output, /not imported: maxBackendEventsPerSecond: Pushi limits all signed API requests/);
      const app = (await admin(s, 'GET', `/apps/${tag}-soketi`)).body as AppView;
      assert.equal(app.key, `${tag}-soketi-key`);
      assert.equal(app.secret, 'soketi-secret');
      assert.equal(app.options.clientEvents, true);
      assert.equal(app.options.maxConnections, 0);
      assert.equal(app.options.maxPresenceMembers, 50);
      assert.equal(app.options.maxEventBytes, 20 * 1024);
      assert.deepEqual(app.options.webhooks, [{ url: 'http://127.0.0.1:1/hook', events: ['channel_occupied'] }]);
      assert.equal((await trigger(s, app, 'imported')).status, 200, 'the soketi credentials sign requests');

      const pusher = join(s.dataDir, `${tag}-pusher.json`);
      writeFileSync(
        pusher,
        JSON.stringify([{ app_id: `${tag}-pusher`, key: `${tag}-pusher-key`, secret: 'pusher-secret' }]),
      );
      assert.equal((await runCli(['apps', 'import', pusher], storeEnv)).code, 0);
      assert.equal((await admin(s, 'GET', `/apps/${tag}-pusher`)).body.secret, 'pusher-secret');

      // A misspelt setting or a clash: the whole file is refused, nothing of it is written.
      const wrong = join(s.dataDir, `${tag}-wrong.json`);
      writeFileSync(
        wrong,
        JSON.stringify([
          { id: `${tag}-first`, key: `${tag}-first-key`, secret: 'first-secret' },
          { id: `${tag}-second`, key: `${tag}-second-key`, secret: 'second-secret', enableClientMessage: true },
        ]),
      );
      const refused = await runCli(['apps', 'import', wrong], storeEnv);
      assert.equal(refused.code, 1);
      assert.match(
        refused.output,
        /app #2: unknown soketi or Pusher app setting "enableClientMessage" \(did you mean "enableClientMessages"\?\)/,
      );
      assert.equal((await admin(s, 'GET', `/apps/${tag}-first`)).status, 404);
      const again = await runCli(['apps', 'import', pusher], storeEnv);
      assert.equal(again.code, 1);
      assert.match(again.output, /app #1: an app with id ".*-pusher" exists; nothing imported/);
    });

    test('clear errors for unknown ids and bad usage', { timeout: 120_000 }, async () => {
      const missing = await runCli(['apps', 'show', 'no-such-app'], storeEnv);
      assert.equal(missing.code, 1);
      assert.match(missing.output, /^pushi: no app with id no-such-app$/m);
      const noName = await runCli(['apps', 'create'], storeEnv);
      assert.equal(noName.code, 1);
      assert.match(noName.output, /usage: pushi apps create NAME/);
      const unknown = await runCli(['apps', 'frobnicate'], storeEnv);
      assert.equal(unknown.code, 1);
      assert.match(unknown.output, /unknown apps command "frobnicate" \(known: create, import, list, show, delete\)/);
    });
  });
}

cliSuite('SQLite', () => ({}), false);
cliSuite(
  'PostgreSQL',
  (): Record<string, string> =>
    pgTarget.available ? { DATABASE_URL: pgTarget.url, DATABASE_SCHEMA: pgTarget.schema } : {},
  pgTarget.available ? false : pgTarget.reason,
);
