// GET /metrics: each family appears (or moves) after the traffic that should move it, per server
// registry, and no secret ever shows up in the exposition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { signedFetch } from '../helpers/signed-fetch.ts';
import type { TestServer } from '../helpers/server.ts';
import { APP_A, APP_B, eventually, metric, Receiver, scrape, sdkFor, startWithApps } from './ops-helpers.ts';

let s: TestServer;
let rx: Receiver;
before(async () => {
  rx = await Receiver.start();
  s = await startWithApps([
    { ...APP_A, options: { webhookBatchMs: 0, webhooks: [{ url: rx.url, events: ['channel_occupied'] }] } },
    APP_B,
  ]);
});
after(async () => {
  await s.close();
  await rx.close();
});

test('/metrics is Prometheus text with process, event-loop and memory metrics from the start', async () => {
  const res = await fetch(`${s.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  for (const name of ['nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
    assert.ok(metric(text, name) !== undefined, `${name} present`);
  }
  assert.equal(metric(text, 'pushi_webhook_queue_depth'), 0);
  assert.equal(metric(text, 'pushi_health_check_up', { check: 'store' }), 1);
});

test('connections, messages, bytes, subscriptions by type, rejections', async () => {
  const before = await scrape(s);
  assert.equal(metric(before, 'pushi_connections', { app_id: APP_A.id }), undefined, 'no traffic, no series');
  const c = await RawClient.established(s.wsUrl());
  const d = await RawClient.established(s.wsUrl(APP_B.key));
  await c.subscribe('news');
  await c.subscribe('private-x', channelAuth(APP_A.key, APP_A.secret, c.socketId, 'private-x'));
  const member = JSON.stringify({ user_id: 'u1' });
  await c.subscribe('presence-x', channelAuth(APP_A.key, APP_A.secret, c.socketId, 'presence-x', member), member);
  await sdkFor(s, APP_A).trigger('news', 'hello', { n: 1 });
  await c.waitFor((f) => f.event === 'hello');
  const bad = await RawClient.connect(s.wsUrl('no-such-key'));
  await bad.waitClose();

  let text = await scrape(s);
  assert.equal(metric(text, 'pushi_connections', { app_id: APP_A.id }), 1);
  assert.equal(metric(text, 'pushi_connections', { app_id: APP_B.id }), 1);
  assert.equal(metric(text, 'pushi_connections_opened_total', { app_id: APP_A.id }), 1);
  assert.equal(metric(text, 'pushi_connections_rejected_total', { code: '4001' }), 1);
  assert.equal(metric(text, 'pushi_subscriptions', { app_id: APP_A.id, type: 'public' }), 1);
  assert.equal(metric(text, 'pushi_subscriptions', { app_id: APP_A.id, type: 'private' }), 1);
  assert.equal(metric(text, 'pushi_subscriptions', { app_id: APP_A.id, type: 'presence' }), 1);
  assert.equal(metric(text, 'pushi_channels', { app_id: APP_A.id }), 3);
  assert.equal(metric(text, 'pushi_ws_messages_received_total', { app_id: APP_A.id }), 3);
  assert.ok(metric(text, 'pushi_ws_received_bytes_total', { app_id: APP_A.id })! > 50);
  assert.equal(metric(text, 'pushi_ws_messages_sent_total', { app_id: APP_A.id }), 1);
  assert.ok(metric(text, 'pushi_ws_sent_bytes_total', { app_id: APP_A.id })! > 20);

  c.send({ event: 'pusher:unsubscribe', data: { channel: 'news' } });
  c.close();
  d.close();
  await eventually(
    async () => metric((text = await scrape(s)), 'pushi_connections', { app_id: APP_A.id }) === 0,
    5000,
    'connections back to 0',
  );
  assert.equal(metric(text, 'pushi_subscriptions', { app_id: APP_A.id, type: 'public' }), 0);
  assert.equal(metric(text, 'pushi_channels', { app_id: APP_A.id }), 0);
  assert.equal(metric(text, 'pushi_connections_opened_total', { app_id: APP_A.id }), 1, 'totals stay');
});

test('HTTP API requests by route and status with a latency histogram; store writes; webhooks', async () => {
  await sdkFor(s, APP_A).trigger('ch', 'e', {});
  assert.equal(
    (
      await signedFetch(s.httpUrl, `/apps/${APP_A.id}/events`, {
        method: 'POST',
        body: { name: 'e', data: '1', channel: 'ch' },
        secret: 'wrong',
      })
    ).status,
    401,
  );
  await fetch(`${s.httpUrl}/nope`);
  const c = await RawClient.established(s.wsUrl());
  await c.subscribe('webhook-me'); // channel_occupied → queued (store write) → delivered
  await rx.until(() => rx.delivered().some((e) => e.channel === 'webhook-me'));
  let text = '';
  await eventually(
    async () => metric((text = await scrape(s)), 'pushi_webhook_queue_depth') === 0,
    5000,
    'an empty queue',
  );
  assert.ok(metric(text, 'pushi_webhook_deliveries_total', { app_id: APP_A.id })! >= 1);
  const route = '/apps/:appId/events';
  assert.ok(metric(text, 'pushi_http_requests_total', { route, method: 'POST', status: '200' })! >= 1);
  assert.equal(metric(text, 'pushi_http_requests_total', { route, method: 'POST', status: '401' }), 1);
  assert.equal(metric(text, 'pushi_http_requests_total', { route: 'unmatched', status: '404' }), 1);
  assert.ok(metric(text, 'pushi_http_request_duration_seconds_count', { route, method: 'POST' })! >= 2);
  assert.ok(metric(text, 'pushi_http_request_duration_seconds_bucket', { route, method: 'POST', le: '+Inf' })! >= 2);
  assert.ok(metric(text, 'pushi_store_write_duration_seconds_count', { op: 'webhooks.enqueue' })! >= 1);
  assert.ok(metric(text, 'pushi_store_write_duration_seconds_count', { op: 'webhooks.done' })! >= 1);
  assert.ok(metric(text, 'pushi_webhook_delivery_duration_seconds_count', { app_id: APP_A.id })! >= 1);
  c.close();
});

test('several servers in one process keep separate registries; no secret in any label', async () => {
  const other = await startWithApps([APP_B]);
  try {
    const text = await scrape(other);
    assert.equal(metric(text, 'pushi_connections_opened_total', { app_id: APP_A.id }), undefined);
    const ours = await scrape(s);
    for (const t of [text, ours]) {
      for (const secret of [APP_A.secret, APP_B.secret]) assert.ok(!t.includes(secret), 'secret leaked into /metrics');
    }
  } finally {
    await other.close();
  }
});
