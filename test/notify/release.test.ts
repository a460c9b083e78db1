// A queued item being sent when the server stops goes back to the durable queue as it was: due now,
// no attempt counted, no error recorded (another node, or this one restarted, sends it in full).
// The give-back is QueueWorker.release, which both the webhook and the notification sender use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { resolveOptions, type App } from '../../src/apps/app.ts';
import { WebhookSender } from '../../src/notify/webhooks/sender.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

test('a webhook in flight at shutdown goes back to the queue without counting an attempt', async () => {
  // The receiver takes the request and never answers: the delivery is in flight until close aborts it.
  const held: IncomingMessage[] = [];
  const receiver = createServer((req) => held.push(req));
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const store = new SqliteStore(':memory:');
  await store.migrate();
  const app: App = { id: 'a1', key: 'k1', secret: 's1', name: 'A', enabled: true, options: resolveOptions({}) };
  const sender = new WebhookSender({
    queue: store.webhooks,
    apps: { findById: async () => app, findByKey: async () => app },
    logger: pino({ level: 'silent' }),
  });
  try {
    const createdAt = Date.now();
    await store.webhooks.enqueue([{ appId: app.id, url, body: '{"events":[]}', createdAt, nextAttemptAt: createdAt }]);
    sender.start();
    await once(receiver, 'request');
    await sender.close();

    const [row, ...rest] = await store.webhooks.claim(Date.now(), 60_000, 10);
    assert.deepEqual(rest, []);
    assert.equal(row?.url, url);
    assert.equal(row.attempts, 0, 'the aborted send is not counted as an attempt');
    assert.equal(row.lastError, null);
    assert.equal(row.status, 'pending');
  } finally {
    for (const req of held) req.socket.destroy();
    receiver.close();
    await store.close();
  }
});
