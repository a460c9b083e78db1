// Webhooks end to end against a real HTTP receiver: Pusher format verified by the `pusher` SDK,
// every event type, filters, batching, retries, failures and a restart mid-retry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { signedFetch } from '../helpers/signed-fetch.ts';
import { startServer } from '../helpers/server.ts';
import { APP_A, appsFile, eventually, metric, Receiver, scrape, startWithApps, validWebhook } from './ops-helpers.ts';

const ALL = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
];
let rx: Receiver;
before(async () => (rx = await Receiver.start()));
after(() => rx.close());

test('every event type arrives signed (pusher SDK isValid), filtered per target, batched per app', async () => {
  rx.requests.length = 0;
  const app = {
    ...APP_A,
    options: {
      subscriptionCount: true,
      webhookBatchMs: 300,
      webhooks: [
        { url: `${rx.url}/all`, events: ALL },
        { url: `${rx.url}/presence`, events: ['channel_occupied', 'member_added'], channelPrefix: 'presence-' },
      ],
    },
  };
  const s = await startWithApps([app]);
  try {
    const c = await RawClient.established(s.wsUrl());
    const d = await RawClient.established(s.wsUrl());
    // Batching: five channels occupied at once go out as one POST.
    for (const ch of ['b1', 'b2', 'b3', 'b4', 'b5']) c.send({ event: 'pusher:subscribe', data: { channel: ch } });
    await rx.until(() => rx.delivered('/all').filter((e) => e.name === 'channel_occupied').length >= 5);
    const batch = rx.requests.find((q) => q.path === '/all')!;
    assert.deepEqual(
      (JSON.parse(batch.rawBody).events as { name: string; channel: string }[])
        .filter((e) => e.name === 'channel_occupied')
        .map((e) => e.channel)
        .sort(),
      ['b1', 'b2', 'b3', 'b4', 'b5'],
      'one body for the five',
    );

    await c.subscribe('private-chat', channelAuth(s.app.key, s.app.secret, c.socketId, 'private-chat'));
    await d.subscribe('private-chat', channelAuth(s.app.key, s.app.secret, d.socketId, 'private-chat'));
    c.send({ event: 'client-typing', channel: 'private-chat', data: { secretPayload: 1 } });
    const member = JSON.stringify({ user_id: 'u1', user_info: { name: 'A' } });
    await c.subscribe(
      'presence-room',
      channelAuth(s.app.key, s.app.secret, c.socketId, 'presence-room', member),
      member,
    );
    await c.subscribe('cache-last');
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-room' } });
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'b1' } });
    await rx.until(() =>
      ['member_removed', 'client_event', 'cache_miss', 'subscription_count'].every((n) =>
        rx.delivered('/all').some((e) => e.name === n),
      ),
    );
    await rx.until(() => rx.delivered('/all').some((e) => e.name === 'channel_vacated' && e.channel === 'b1'));
    // Counts are throttled to one a second per channel: 1 first, then 2.
    await rx.until(() =>
      rx.delivered('/all').some((e) => e.name === 'subscription_count' && e.subscription_count === 2),
    );

    const all = rx.delivered('/all');
    const find = (name: string, channel: string) => all.find((e) => e.name === name && e.channel === channel);
    assert.deepEqual(find('client_event', 'private-chat'), {
      name: 'client_event',
      channel: 'private-chat',
      event: 'client-typing',
      data: '{"secretPayload":1}',
      socket_id: c.socketId,
    });
    assert.deepEqual(find('member_added', 'presence-room'), {
      name: 'member_added',
      channel: 'presence-room',
      user_id: 'u1',
    });
    assert.deepEqual(find('member_removed', 'presence-room'), {
      name: 'member_removed',
      channel: 'presence-room',
      user_id: 'u1',
    });
    assert.deepEqual(find('cache_miss', 'cache-last'), { name: 'cache_miss', channel: 'cache-last' });
    assert.deepEqual(find('channel_vacated', 'presence-room'), { name: 'channel_vacated', channel: 'presence-room' });
    const counts = all.filter((e) => e.name === 'subscription_count' && e.channel === 'private-chat');
    assert.deepEqual(counts.at(-1), { name: 'subscription_count', channel: 'private-chat', subscription_count: 2 });

    // The prefix/event filter: only presence- occupied and member_added.
    await rx.until(() => rx.delivered('/presence').length >= 2);
    assert.deepEqual(
      rx
        .delivered('/presence')
        .map((e) => `${e.name} ${e.channel}`)
        .sort(),
      ['channel_occupied presence-room', 'member_added presence-room'],
    );

    for (const q of rx.requests) {
      assert.ok(validWebhook(APP_A, q), 'the pusher SDK accepts the signature');
      assert.equal(q.headers['content-type'], 'application/json');
      assert.equal(q.headers['x-pusher-key'], APP_A.key);
      assert.equal(typeof JSON.parse(q.rawBody).time_ms, 'number');
    }
    assert.equal(validWebhook({ ...APP_A, secret: 'wrong' }, rx.requests[0]!), false);
    c.close();
    d.close();
  } finally {
    await s.close();
  }
});

test('a receiver answering 500 twice gets the same body a third time, then the queue is empty', async () => {
  rx.requests.length = 0;
  rx.respond = (n) => (n <= 2 ? 500 : 200);
  const app = {
    ...APP_A,
    options: {
      webhookBatchMs: 0,
      webhookRetryMs: 50,
      webhooks: [{ url: `${rx.url}/retry`, events: ['channel_occupied'] }],
    },
  };
  const s = await startWithApps([app]);
  try {
    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('news');
    await rx.until(() => rx.requests.some((q) => q.status === 200));
    assert.deepEqual(
      rx.requests.map((q) => q.status),
      [500, 500, 200],
    );
    assert.equal(new Set(rx.requests.map((q) => q.rawBody)).size, 1, 'the same body each time');
    assert.ok(rx.requests.every((q) => validWebhook(APP_A, q)));
    await eventually(async () => (await s.server.store.webhooks.countPending()) === 0, 5000, 'an empty queue');
    const text = await scrape(s);
    assert.equal(metric(text, 'pushi_webhook_attempt_failures_total', { app_id: APP_A.id, reason: 'http' }), 2);
    assert.equal(metric(text, 'pushi_webhook_deliveries_total', { app_id: APP_A.id }), 1);
    assert.equal(metric(text, 'pushi_webhook_queue_depth'), 0);
    c.close();
  } finally {
    rx.respond = () => 200;
    await s.close();
  }
});

test('nothing is lost across a restart mid-retry (same data dir)', async () => {
  rx.requests.length = 0;
  rx.respond = () => 503;
  const app = {
    ...APP_A,
    options: {
      webhookBatchMs: 0,
      webhookRetryMs: 200,
      webhooks: [{ url: `${rx.url}/restart`, events: ['channel_occupied'] }],
    },
  };
  const env = {
    PUSHI_APP_ID: undefined,
    PUSHI_APP_KEY: undefined,
    PUSHI_APP_SECRET: undefined,
    PUSHI_APPS_FILE: appsFile([app]),
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'pushi-ops-restart-')); // ours: kept across the restart
  const first = await startServer({ env, dataDir });
  let second: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const c = await RawClient.established(first.wsUrl());
    await c.subscribe('restart-channel');
    await rx.until(() => rx.requests.length >= 1);
    const body = rx.requests[0]!.rawBody;
    await first.close(); // mid-retry: the delivery is pending in the store
    rx.respond = () => 200;
    second = await startServer({ env, dataDir });
    await rx.until(
      () => rx.requests.some((q) => q.status === 200 && q.rawBody === body),
      10_000,
      'the queued body after restart',
    );
    assert.ok(validWebhook(APP_A, rx.requests.at(-1)!));
    await eventually(async () => (await second!.server.store.webhooks.countPending()) === 0, 5000, 'an empty queue');
  } finally {
    rx.respond = () => 200;
    await second?.close();
    await first.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('refused and timed-out deliveries are retried, then given up, listed by the API, and can be retried', async () => {
  rx.requests.length = 0;
  rx.respond = (_n, path) => (path === '/hang' ? 'hang' : 200);
  const app = {
    ...APP_A,
    options: {
      webhookBatchMs: 0,
      webhookRetryMs: 50,
      // Each target fails within 200 ms and is retried 50 ms later; 3 s leaves a busy machine
      // ample room for the second attempt that `attempts >= 2` below asks for.
      webhookRetryForMs: 3000,
      webhookTimeoutMs: 200,
      webhooks: [
        { url: 'http://127.0.0.1:1/refused', events: ['channel_occupied'] },
        { url: `${rx.url}/hang`, events: ['channel_occupied'] },
      ],
    },
  };
  const s = await startWithApps([app]);
  try {
    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('doomed');
    type Failed = { id: number; url: string; attempts: number; last_error: string; events: unknown[] };
    let listed: { pending: number; failed: Failed[] } = { pending: -1, failed: [] };
    await eventually(
      async () => {
        const res = await signedFetch(s.httpUrl, `/apps/${APP_A.id}/webhooks/failed`);
        listed = (await res.json()) as typeof listed;
        return listed.failed.length === 2;
      },
      15_000,
      'two failed deliveries',
    );
    assert.equal(listed.pending, 0);
    const byUrl = Object.fromEntries(listed.failed.map((f) => [new URL(f.url).pathname, f]));
    assert.match(byUrl['/refused']!.last_error, /refused/);
    assert.match(byUrl['/hang']!.last_error, /no response within 200 ms/);
    for (const f of listed.failed) {
      assert.ok(f.attempts >= 2, `retried before giving up (${f.attempts})`);
      assert.deepEqual(f.events, [{ name: 'channel_occupied', channel: 'doomed' }]);
    }
    const text = await scrape(s);
    assert.equal(metric(text, 'pushi_webhook_failed_total', { app_id: APP_A.id }), 2);
    assert.ok(metric(text, 'pushi_webhook_attempt_failures_total', { reason: 'refused' })! >= 2);
    assert.ok(metric(text, 'pushi_webhook_attempt_failures_total', { reason: 'timeout' })! >= 2);

    // Unsigned: refused. Signed by the owner: the hanging receiver now answers, so a retry lands.
    assert.equal((await fetch(`${s.httpUrl}/apps/${APP_A.id}/webhooks/failed`)).status, 401);
    rx.respond = () => 200;
    const hang = byUrl['/hang']!;
    const retry = await signedFetch(s.httpUrl, `/apps/${APP_A.id}/webhooks/failed/${hang.id}/retry`, {
      method: 'POST',
      body: {},
    });
    assert.equal(retry.status, 200);
    await rx.until(() => rx.requests.some((q) => q.path === '/hang' && q.status === 200));
    const again = await signedFetch(s.httpUrl, `/apps/${APP_A.id}/webhooks/failed/${hang.id}/retry`, {
      method: 'POST',
      body: {},
    });
    assert.equal(again.status, 404);
    await eventually(
      async () => {
        const res = await signedFetch(s.httpUrl, `/apps/${APP_A.id}/webhooks/failed`);
        return ((await res.json()) as { failed: unknown[] }).failed.length === 1;
      },
      5000,
      'one failed delivery left',
    );
    c.close();
  } finally {
    rx.respond = () => 200;
    await s.close();
  }
});
