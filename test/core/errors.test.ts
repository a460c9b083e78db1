// Protocol errors on the WebSocket: the Pusher code, whether the socket closes, and that the
// server keeps serving other clients afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient, type Frame } from '../helpers/raw-client.ts';
import { assertStillServes, trigger } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

let s: TestServer;
const clients: RawClient[] = [];
before(async () => (s = await startServer()));
after(async () => {
  for (const c of clients) c.close();
  await s.close();
});

async function client() {
  const c = await RawClient.established(s.wsUrl());
  clients.push(c);
  return c;
}

async function rawConnect(url: string) {
  const c = await RawClient.connect(url);
  clients.push(c);
  return c;
}

const errorOf = (f: Frame) => decode(f) as { message: string; code: number | null };

/** Round-trips a ping: proves the socket is open and that earlier frames were handled. */
async function stillOpen(c: RawClient) {
  c.send({ event: 'pusher:ping' });
  await c.next('pusher:pong');
  assert.equal(c.closeCode, undefined);
}

async function fatalOnConnect(url: string, code: number) {
  const c = await rawConnect(url);
  const err = await c.waitFor((f) => f.event === 'pusher:error');
  assert.equal(typeof err.data, 'string');
  assert.equal(errorOf(err).code, code);
  assert.equal(typeof errorOf(err).message, 'string');
  assert.equal(await c.waitClose(), code);
  assert.equal(c.events('pusher:connection_established').length, 0);
  return c;
}

test('unknown app key: pusher:error 4001, then close 4001', async () => {
  await fatalOnConnect(s.wsUrl('no-such-key'), 4001);
  await assertStillServes(s);
});

test('unsupported protocol=3: 4007', async () => {
  await fatalOnConnect(s.wsUrl(undefined, 'protocol=3&client=js'), 4007);
  await assertStillServes(s);
});

test('a path other than /app/{key}: 4005', async () => {
  await fatalOnConnect(`ws://127.0.0.1:${s.wsPort}/foo`, 4005);
  await fatalOnConnect(`ws://127.0.0.1:${s.wsPort}/app/${s.app.key}/extra`, 4005);
  await assertStillServes(s);
});

test('malformed JSON and non-messages: pusher:error, the socket stays open and still works', async () => {
  const c = await client();
  for (const bad of [
    '{not json',
    '[1,2]',
    'null',
    '"str"',
    '{"no":"event"}',
    '{"event":""}',
    '{"event":"pusher:subscribe","data":"{bad"}',
  ]) {
    c.send(bad);
    const err = await c.next('pusher:error');
    assert.equal(errorOf(err).code, null, bad);
  }
  await stillOpen(c);
  assert.equal((await c.subscribe('after-garbage')).event, 'pusher_internal:subscription_succeeded');
  await trigger(s.httpUrl, { name: 'ok', channel: 'after-garbage', data: '1' });
  await c.waitFor((f) => f.event === 'ok');
  await assertStillServes(s);
});

test('an unknown pusher: event gets pusher:error naming it; the socket stays open', async () => {
  const c = await client();
  c.send({ event: 'pusher:nonsense', data: {} });
  const err = await c.next('pusher:error');
  assert.match(errorOf(err).message, /pusher:nonsense/);
  await stillOpen(c);
  await assertStillServes(s);
});

test('bad private-channel signature: subscription_error + pusher:error, no subscription', async () => {
  const c = await client();
  const wrong = [
    channelAuth(s.app.key, 'wrong-secret', c.socketId, 'private-secret'),
    channelAuth(s.app.key, s.app.secret, '1.2', 'private-secret'), // another socket's signature
    channelAuth(s.app.key, s.app.secret, c.socketId, 'private-other'), // another channel's signature
    undefined,
  ];
  for (const auth of wrong) {
    const res = await c.subscribe('private-secret', auth);
    assert.equal(res.event, 'pusher:subscription_error');
    assert.equal(typeof res.data, 'string');
    const data = decode(res);
    assert.equal(data.status, 401);
    assert.equal(data.type, 'AuthError');
    assert.equal(typeof data.error, 'string');
    await c.waitFor((f) => f.event === 'pusher:error' && c.frames.indexOf(f) > c.frames.indexOf(res));
    c.frames.length = 0; // let the next subscribe() see only new frames
    c.raw.length = 0;
  }
  await trigger(s.httpUrl, { name: 'leak', channel: 'private-secret', data: '1' });
  await stillOpen(c); // the trigger's delivery, if any, would precede this pong
  assert.equal(c.events('leak').length, 0);
  await assertStillServes(s);
});

test('presence without channel_data, and with a bad user_id, is refused', async () => {
  const ch = 'presence-bad';
  const c = await client();
  const noData = await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch));
  assert.equal(noData.event, 'pusher:subscription_error');
  assert.match(decode(noData).error, /channel_data/);
  for (const member of [{}, { user_id: '' }, { user_id: { x: 1 } }, { user_id: null }, { user_id: 'x'.repeat(129) }]) {
    const channelData = JSON.stringify(member);
    c.frames.length = 0;
    c.raw.length = 0;
    const res = await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch, channelData), channelData);
    assert.equal(res.event, 'pusher:subscription_error', channelData);
    assert.match(decode(res).error, /user_id/);
  }
  // signed channel_data that is not JSON
  c.frames.length = 0;
  const notJson = await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch, '{oops'), '{oops');
  assert.equal(notJson.event, 'pusher:subscription_error');
  await stillOpen(c);
  const other = await client();
  const watch = 'presence-bad';
  const cd = JSON.stringify({ user_id: 'ok' });
  const ok = await other.subscribe(watch, channelAuth(s.app.key, s.app.secret, other.socketId, watch, cd), cd);
  assert.deepEqual(decode(ok).presence.ids, ['ok'], 'the refused joins left no members behind');
  await assertStillServes(s);
});

test('invalid channel names: bad characters and more than 200 characters', async () => {
  const c = await client();
  for (const name of ['has space', 'bad/slash', 'ümlaut', 'x'.repeat(201), 'private-' + 'y'.repeat(193)]) {
    c.frames.length = 0;
    const res = await c.subscribe(name);
    assert.equal(res.event, 'pusher:subscription_error', name);
    assert.equal(decode(res).status, 4009);
  }
  // a 200-character name is fine
  assert.equal((await c.subscribe('z'.repeat(200))).event, 'pusher_internal:subscription_succeeded');
  // no channel / a non-string channel: pusher:error, socket open
  c.send({ event: 'pusher:subscribe', data: {} });
  await c.next('pusher:error');
  c.send({ event: 'pusher:subscribe', data: { channel: 7 } });
  await c.next('pusher:error');
  await stillOpen(c);
  await assertStillServes(s);
});

test('client events: not subscribed, or on a public channel, get 4301 and the socket stays open', async () => {
  const c = await client();
  c.send({ event: 'client-x', channel: 'private-never', data: {} });
  assert.equal(errorOf(await c.next('pusher:error')).code, 4301);
  await c.subscribe('public-one');
  c.send({ event: 'client-x', channel: 'public-one', data: {} });
  const err = await c.next('pusher:error');
  assert.equal(errorOf(err).code, 4301);
  assert.match(errorOf(err).message, /private and presence/);
  c.send({ event: 'client-x', data: {} }); // no channel at all
  assert.equal(errorOf(await c.next('pusher:error')).code, 4301);
  await stillOpen(c);
  await assertStillServes(s);
});

test('client events on an app without them enabled: 4301', async () => {
  const off = await startServer({ env: { PUSHI_APP_CLIENT_EVENTS: '0' } });
  try {
    const c = await RawClient.established(off.wsUrl());
    await c.subscribe('private-a', channelAuth(off.app.key, off.app.secret, c.socketId, 'private-a'));
    c.send({ event: 'client-x', channel: 'private-a', data: {} });
    const err = await c.next('pusher:error');
    assert.equal(errorOf(err).code, 4301);
    await stillOpen(c);
    c.close();
    await assertStillServes(off);
  } finally {
    await off.close();
  }
});
