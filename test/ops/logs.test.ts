// Structured logs: one JSON line per meaningful event, never a secret or a message payload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import { APP_A, eventually, startWithApps } from './ops-helpers.ts';

test('start-up, app created, rejections, webhook failures and store errors are logged without secrets or payloads', async () => {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const app = {
    ...APP_A,
    options: {
      webhookBatchMs: 0,
      webhookRetryMs: 20,
      webhookRetryForMs: 1000, // retried at least once even when the first attempt waits on a busy CPU
      webhooks: [{ url: 'http://127.0.0.1:1/hook?token=HOOK-TOKEN', events: ['channel_occupied', 'client_event'] }],
    },
  };
  const s = await startWithApps([app], { logger, env: { PUSHI_ADMIN_TOKEN: 'ADMIN-TOKEN-123' } });
  const has = (msg: string) => lines.filter((l) => l.msg === msg);
  try {
    assert.equal(has('app created')[0]?.appId, APP_A.id);
    const [cfg] = has('configuration');
    assert.ok(cfg, 'the effective configuration at start-up');
    assert.equal((cfg.config as { adminApi: string }).adminApi, 'on');
    assert.equal((cfg.config as { storage: { kind: string } }).storage.kind, 'sqlite');

    const bad = await RawClient.connect(s.wsUrl('nope-key'));
    await bad.waitClose();
    await eventually(() => has('connection rejected').length > 0, 3000, 'a rejection line');
    assert.deepEqual([has('connection rejected')[0]!.code, has('connection rejected')[0]!.appKey], [4001, 'nope-key']);

    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('private-p', channelAuth(APP_A.key, APP_A.secret, c.socketId, 'private-p'));
    c.send({ event: 'client-x', channel: 'private-p', data: { text: 'PAYLOAD-MARKER-1' } });
    await trigger(s.httpUrl, { name: 'e', channel: 'private-p', data: 'PAYLOAD-MARKER-2' });
    await eventually(
      () => has('webhook failed: giving up, kept for GET /apps/{id}/webhooks/failed').length >= 2,
      10_000,
      'webhook failure lines',
    );
    const failed = has('webhook failed: giving up, kept for GET /apps/{id}/webhooks/failed')[0]!;
    assert.equal(failed.level, 50);
    assert.equal(failed.url, 'http://127.0.0.1:1/hook');
    assert.match(String(failed.error), /refused/);
    assert.ok(has('webhook attempt failed; will retry').length >= 2);
    c.close();

    // The store goes away under the server: the write fails and says so once.
    await s.server.store.close();
    await s.server.store.webhooks
      .enqueue([{ appId: 'x', url: 'http://x', body: '{}', createdAt: 0, nextAttemptAt: 0 }])
      .catch(() => undefined);
    const storeError = has('store error').find((l) => l.op === 'webhooks.enqueue');
    assert.ok(storeError, 'a store error line');
    assert.equal(storeError.error, 'StoreUnavailableError');
  } finally {
    await s.close();
  }
  const all = raw.join('');
  for (const secret of [APP_A.secret, 'ADMIN-TOKEN-123', 'HOOK-TOKEN', 'PAYLOAD-MARKER-1', 'PAYLOAD-MARKER-2']) {
    assert.ok(!all.includes(secret), `${secret} must not be logged`);
  }
});
