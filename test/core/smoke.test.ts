import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

let s: TestServer;
before(async () => (s = await startServer()));
after(() => s.close());

test('connects, subscribes to public and private channels, receives a triggered event', async () => {
  const c = await RawClient.established(s.wsUrl());
  assert.match(c.socketId, /^\d+\.\d+$/);
  const est = c.frames[0];
  assert.equal(typeof est.data, 'string');
  assert.equal(decode(est).activity_timeout, 120);
  const ok = await c.subscribe('news');
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  assert.match(ok.data as string, /^\{"epoch":"[0-9a-f]{12}","offset":0\}$/, "the channel's position");
  const priv = await c.subscribe('private-x', channelAuth(s.app.key, s.app.secret, c.socketId, 'private-x'));
  assert.equal(priv.event, 'pusher_internal:subscription_succeeded');
  await s.sdk().trigger('news', 'hello', { a: 1 });
  const got = await c.waitFor((f) => f.event === 'hello');
  assert.deepEqual(JSON.parse(got.data as string), { a: 1 });
  assert.equal(got.channel, 'news');
  c.close();
});
