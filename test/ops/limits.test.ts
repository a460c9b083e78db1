// Per-app limits, each proven on one app while another app (PUSHI_APPS_FILE with several apps)
// stays unaffected; plus the optional per-IP connection rate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { inOneSecond } from '../helpers/one-second.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import type { TestServer } from '../helpers/server.ts';
import { APP_A, APP_B, eventually, metric, scrape, startWithApps, type OpsApp } from './ops-helpers.ts';

const LIMITED: OpsApp = { id: 'limited-app', key: 'limited-key', secret: 'limited-secret' };
const UNLIMITED: OpsApp = { id: 'unlimited-app', key: 'unlimited-key', secret: 'unlimited-secret' };
const A: OpsApp = {
  ...APP_A,
  options: {
    allowedOrigins: ['https://good.example', '*.corp.example'],
    maxConnections: 2,
    maxClientEventsPerSecond: 2,
    maxEventBytes: 100,
    maxChannelsPerTrigger: 2,
    maxPresenceMembers: 1,
  },
};
let s: TestServer;
before(async () => {
  s = await startWithApps([
    A,
    APP_B,
    { ...LIMITED, options: { maxApiRequestsPerSecond: 3 } },
    { ...UNLIMITED, options: { maxApiRequestsPerSecond: 0 } },
  ]);
});
after(() => s.close());

const send = (app: OpsApp, body: unknown) =>
  trigger(s.httpUrl, body, { appId: app.id, key: app.key, secret: app.secret });
const ev = (channels: string[], data = '{}') => ({ name: 'e', channels, data });

test('HTTP API requests per second: 429 with Retry-After past the limit; other apps unaffected', async () => {
  const burst = (app: OpsApp, n: number) => Promise.all(Array.from({ length: n }, () => send(app, ev(['c']))));
  const refusals = async () => metric(await scrape(s), 'pushi_rate_limited_total', { app_id: LIMITED.id }) ?? 0;
  // 10 requests in one second against a limit of 3: exactly 3 pass.
  const { limited, before } = await inOneSecond(async (before) => ({ before, limited: await burst(LIMITED, 10) }), {
    prepare: refusals,
  });
  const refused = limited.filter((r) => r.status === 429);
  assert.equal(refused.length, 7, `refused ${refused.length} of 10`);
  for (const r of refused) {
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.match(((await r.json()) as { error: string }).error, /rate limit \(3 requests per second\)/);
  }
  assert.deepEqual(
    [...new Set((await burst(APP_B, 10)).map((r) => r.status))],
    [200],
    'default limit (100/s) not reached',
  );
  assert.deepEqual([...new Set((await burst(UNLIMITED, 150)).map((r) => r.status))], [200], '0 = unlimited');
  // Unsigned requests do not spend the allowance: a wrong signature is 401, never 429.
  const bad = await trigger(s.httpUrl, ev(['c']), { appId: LIMITED.id, key: LIMITED.key, secret: 'wrong' });
  assert.equal(bad.status, 401);
  const text = await scrape(s);
  assert.equal(metric(text, 'pushi_rate_limited_total', { app_id: LIMITED.id, limit: 'api' })! - before, 7);
  assert.equal(metric(text, 'pushi_rate_limited_total', { app_id: APP_B.id }), undefined);
});

test('Origin allow-list: 4009 for other or missing origins; another app accepts any', async () => {
  const url = s.wsUrl(A.key);
  for (const origin of ['https://good.example', 'https://app.corp.example']) {
    await closeAll([await RawClient.established(url, { origin })]);
  }
  for (const origin of ['https://evil.example', 'http://good.example', 'https://corp.example', undefined]) {
    const c = await RawClient.connect(url, origin ? { origin } : {});
    assert.equal(await c.waitClose(), 4009, `origin ${origin}`);
    assert.equal(decode(c.events('pusher:error')[0]!).code, 4009);
  }
  const other = await RawClient.established(s.wsUrl(APP_B.key), { origin: 'https://evil.example' });
  other.close();
});

const GOOD = { origin: 'https://good.example' };
/** Closes and waits until the server has let go of them (app A's connection quota is 2). */
async function closeAll(clients: RawClient[]): Promise<void> {
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => c.waitClose()));
  await eventually(() => !s.server.hub.states.get(A.id)?.connections.size, 5000, "app A's connections closed");
}

test('max connections (4004) on one app; the other app connects freely', async () => {
  const mine = [await RawClient.established(s.wsUrl(A.key), GOOD), await RawClient.established(s.wsUrl(A.key), GOOD)];
  const third = await RawClient.connect(s.wsUrl(A.key), GOOD);
  assert.equal(await third.waitClose(), 4004);
  const theirs = await Promise.all([1, 2, 3].map(() => RawClient.established(s.wsUrl(APP_B.key))));
  await closeAll([...mine, ...theirs, third]);
});

async function privateClient(app: OpsApp, channel: string, options = {}) {
  const c = await RawClient.established(s.wsUrl(app.key), options);
  await c.subscribe(channel, channelAuth(app.key, app.secret, c.socketId, channel));
  return c;
}

test('client events per second (4301) and client event size; the other app unaffected', async () => {
  const b = await privateClient(APP_B, 'private-room');
  // 6 events from a fresh connection (a fresh window) in under a second, limit 2: exactly 4 refused.
  const a = await inOneSecond(
    async (c) => {
      for (let i = 0; i < 6; i++) c.send({ event: 'client-x', channel: 'private-room', data: { i } });
      c.send({ event: 'pusher:ping', data: {} });
      await c.waitFor((f) => f.event === 'pusher:pong');
      return c;
    },
    { prepare: () => privateClient(A, 'private-room', GOOD), discard: (c) => closeAll([c]) },
  );
  for (let i = 0; i < 6; i++) b.send({ event: 'client-x', channel: 'private-room', data: { i } });
  // Size: a fresh connection (its own rate window) sends one event over maxEventBytes (100).
  const sized = await privateClient(A, 'private-room', GOOD);
  sized.send({ event: 'client-big', channel: 'private-room', data: { pad: 'x'.repeat(200) } });
  b.send({ event: 'client-big', channel: 'private-room', data: { pad: 'x'.repeat(200) } });
  for (const c of [b, sized]) c.send({ event: 'pusher:ping', data: {} });
  await Promise.all([b, sized].map((c) => c.waitFor((f) => f.event === 'pusher:pong')));
  const errors = (c: RawClient) => c.events('pusher:error').map((f) => decode(f) as { code: number; message: string });
  assert.deepEqual(
    errors(a).map((e) => e.code),
    [4301, 4301, 4301, 4301],
  );
  assert.ok(errors(a).every((e) => /rate limit/.test(e.message)));
  assert.deepEqual(
    errors(sized).map((e) => e.code),
    [4301],
  );
  assert.match(errors(sized)[0]!.message, /limit is 100/);
  assert.deepEqual(errors(b), []);
  await closeAll([a, b, sized]);
});

test('payload size (413) and channels per trigger (400) on one app; the other app unaffected', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(200) });
  assert.equal((await send(A, ev(['c'], big))).status, 413);
  assert.equal((await send(APP_B, ev(['c'], big))).status, 200);
  assert.equal((await send(A, ev(['c1', 'c2', 'c3']))).status, 400);
  assert.equal((await send(A, ev(['c1', 'c2']))).status, 200);
  assert.equal((await send(APP_B, ev(['c1', 'c2', 'c3']))).status, 200);
});

test('presence members per channel (4100) on one app; the other app unaffected', async () => {
  const join = async (app: OpsApp, user: string, options = {}) => {
    const c = await RawClient.established(s.wsUrl(app.key), options);
    const data = JSON.stringify({ user_id: user });
    const reply = await c.subscribe(
      'presence-p',
      channelAuth(app.key, app.secret, c.socketId, 'presence-p', data),
      data,
    );
    return { c, reply };
  };
  const a1 = await join(A, 'u1', GOOD);
  assert.equal(a1.reply.event, 'pusher_internal:subscription_succeeded');
  a1.c.close();
  await a1.c.waitClose();
  const keep = await join(A, 'u1', GOOD);
  const a2 = await join(A, 'u2', GOOD);
  assert.equal(a2.reply.event, 'pusher:subscription_error');
  assert.equal(decode(a2.reply).status, 4100);
  const b1 = await join(APP_B, 'u1');
  const b2 = await join(APP_B, 'u2');
  assert.equal(b2.reply.event, 'pusher_internal:subscription_succeeded');
  await closeAll([keep, a2, b1, b2].map((x) => x.c));
});

test('optional per-IP connection rate: past it, 4100', async () => {
  const limited = await startWithApps([APP_B], { connectionRatePerIp: { perSecond: 2 } });
  try {
    const rejections = async () =>
      metric(await scrape(limited), 'pushi_connections_rejected_total', { code: '4100' }) ?? 0;
    // 6 at once in one second, 2 allowed: exactly 4 refused.
    const { clients, before } = await inOneSecond(
      async (before) => {
        const clients = await Promise.all([1, 2, 3, 4, 5, 6].map(() => RawClient.connect(limited.wsUrl(APP_B.key))));
        // Each either gets established or closed.
        await Promise.all(
          clients.map((c) =>
            Promise.race([c.waitClose(), c.waitFor((f) => f.event === 'pusher:connection_established')]),
          ),
        );
        return { clients, before };
      },
      { prepare: rejections, discard: async ({ clients }) => clients.forEach((c) => c.close()) },
    );
    const refused = clients.filter((c) => c.closeCode === 4100);
    assert.equal(refused.length, 4, `refused ${refused.length} of 6`);
    assert.equal((await rejections()) - before, 4);
    for (const c of clients) c.close();
  } finally {
    await limited.close();
  }
});
