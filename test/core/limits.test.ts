// Limits: client-event rate, frame size, connections per app, presence members and user_info,
// and the slow-consumer cut-off. Each also proves the server keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { inOneSecond } from '../helpers/one-second.ts';
import { assertStillServes, trigger } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

const LIMITED = { id: 'limited-app', key: 'limited-key', secret: 'limited-secret' };
const PRESENCE = { id: 'presence-app', key: 'presence-key', secret: 'presence-secret' };
const FLOOD = { id: 'flood-app', key: 'flood-key', secret: 'flood-secret' };
const FEW = { id: 'few-app', key: 'few-key', secret: 'few-secret' };
let s: TestServer;
let dir: string;
const clients: RawClient[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushi-limits-'));
  const appsFile = join(dir, 'apps.json');
  writeFileSync(
    appsFile,
    JSON.stringify({
      apps: [
        { ...LIMITED, options: { maxConnections: 2 } },
        { ...PRESENCE, options: { maxPresenceMembers: 2, maxPresenceUserInfoBytes: 64 } },
        { ...FLOOD, options: { maxApiRequestsPerSecond: 0 } }, // the flood must not meet the API rate limit
        { ...FEW, options: { maxChannelsPerConnection: 3 } },
      ],
    }),
  );
  s = await startServer({
    env: { PUSHI_APPS_FILE: appsFile, PUSHI_MAX_MESSAGE_BYTES: '4096', PUSHI_MAX_BUFFERED_BYTES: '65536' },
  });
});
after(async () => {
  for (const c of clients) c.close();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function client(key = s.app.key) {
  const c = await RawClient.established(s.wsUrl(key));
  clients.push(c);
  return c;
}

const code = (f: { data?: unknown }) => decode(f as never).code as number | null;

test('client-event rate limit: the 11th event in a second gets 4301 and the socket stays open', async () => {
  const ch = 'private-rate';
  const subscribed = async () => {
    const c = await client();
    await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch));
    return c;
  };
  const b = await subscribed();
  // 15 at once from a fresh connection, all within a second: the first 10 pass, 5 are refused.
  const a = await inOneSecond(
    async (a) => {
      for (let i = 0; i < 15; i++) a.send({ event: 'client-burst', channel: ch, data: { i } });
      a.send({ event: 'pusher:ping' });
      await a.next('pusher:pong');
      return a;
    },
    { prepare: subscribed, discard: async (a) => a.close() },
  );
  const err = a.events('pusher:error')[0]!;
  assert.equal(code(err), 4301);
  assert.match(decode(err).message, /rate limit/);
  assert.equal(a.closeCode, undefined);
  assert.equal(a.events('pusher:error').length, 5);
  await b.waitFor((f) => f.event === 'client-burst' && b.events('client-burst').length >= 10);
  b.send({ event: 'pusher:ping' });
  await b.next('pusher:pong'); // anything more from a would have come before this
  assert.deepEqual(
    b.events('client-burst').map((f) => (f.data as { i: number }).i),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  await assertStillServes(s);
});

test('a frame over PUSHI_MAX_MESSAGE_BYTES closes the socket with 1009', async () => {
  const c = await client();
  c.send({ event: 'pusher:ping', data: { pad: 'x'.repeat(5000) } });
  assert.equal(await c.waitClose(), 1009);
  // just under the limit is fine
  const ok = await client();
  ok.send({ event: 'pusher:ping', data: { pad: 'x'.repeat(3500) } });
  await ok.next('pusher:pong');
  await assertStillServes(s);
});

test('maxConnections: 2 per app; the third gets pusher:error 4004 and close 4004; a slot frees on close', async () => {
  const url = s.wsUrl(LIMITED.key);
  const one = await client(LIMITED.key);
  await client(LIMITED.key);
  const third = await RawClient.connect(url);
  clients.push(third);
  const err = await third.waitFor((f) => f.event === 'pusher:error');
  assert.equal(code(err), 4004);
  assert.equal(await third.waitClose(), 4004);
  // other apps are not affected
  await assertStillServes(s);
  one.close();
  await one.waitClose();
  // the slot frees once the server has seen the close
  let again: RawClient | undefined;
  for (let i = 0; i < 50 && !again?.frames.some((f) => f.event === 'pusher:connection_established'); i++) {
    again = await RawClient.connect(url);
    clients.push(again);
    await again.waitFor((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error');
  }
  assert.ok(again?.frames.some((f) => f.event === 'pusher:connection_established'));
});

test('presence limits: maxPresenceMembers and maxPresenceUserInfoBytes', async () => {
  const ch = 'presence-small';
  const join = async (member: object, c?: RawClient & { socketId: string }) => {
    c ??= await client(PRESENCE.key);
    c.frames.length = 0; // subscribe() must see only the answer to this attempt
    const cd = JSON.stringify(member);
    const res = await c.subscribe(ch, channelAuth(PRESENCE.key, PRESENCE.secret, c.socketId, ch, cd), cd);
    return { c, res, data: decode(res) };
  };
  const big = await join({ user_id: 'big', user_info: { bio: 'b'.repeat(100) } });
  assert.equal(big.res.event, 'pusher:subscription_error');
  assert.equal(big.data.status, 4301);
  assert.match(big.data.error, /user_info/);
  const a = await join({ user_id: 'u1', user_info: { bio: 'b'.repeat(40) } }, big.c);
  assert.equal(a.res.event, 'pusher_internal:subscription_succeeded', 'same socket may retry with a smaller user_info');
  const b = await join({ user_id: 'u2' });
  assert.equal(b.data.presence.count, 2);
  const full = await join({ user_id: 'u3' });
  assert.equal(full.res.event, 'pusher:subscription_error');
  assert.equal(full.data.status, 4100);
  assert.equal(full.c.closeCode, undefined);
  // a user already in the channel may join from another socket
  const again = await join({ user_id: 'u1' });
  assert.equal(again.res.event, 'pusher_internal:subscription_succeeded');
  assert.equal(again.data.presence.count, 2);
  // a member leaving makes room
  b.c.send({ event: 'pusher:unsubscribe', data: { channel: ch } });
  await a.c.waitFor((f) => f.event === 'pusher_internal:member_removed');
  const fits = await join({ user_id: 'u3' }, full.c);
  assert.equal(fits.res.event, 'pusher_internal:subscription_succeeded');
  assert.deepEqual(fits.data.presence.ids.sort(), ['u1', 'u3']);
  await assertStillServes(s);
});

test('maxChannelsPerConnection: the 4th channel gets subscription_error 4100; the socket stays open', async () => {
  const c = await client(FEW.key);
  for (const ch of ['a', 'b', 'c'])
    assert.equal((await c.subscribe(ch)).event, 'pusher_internal:subscription_succeeded');
  const refused = await c.subscribe('d');
  assert.equal(refused.event, 'pusher:subscription_error');
  assert.equal(refused.channel, 'd');
  assert.equal(decode(refused).status, 4100);
  assert.match(decode(refused).error, /at most 3/);
  // Re-subscribing to a joined channel is still confirmed; leaving one makes room.
  assert.equal((await c.subscribe('a')).event, 'pusher_internal:subscription_succeeded');
  c.send({ event: 'pusher:unsubscribe', data: { channel: 'b' } });
  c.frames.length = 0; // the next answer for 'd' must be new
  assert.equal((await c.subscribe('d')).event, 'pusher_internal:subscription_succeeded');
  await trigger(
    s.httpUrl,
    { name: 'hi', channel: 'd', data: '1' },
    { appId: FEW.id, key: FEW.key, secret: FEW.secret },
  );
  await c.waitFor((f) => f.event === 'hi' && f.channel === 'd');
  assert.equal(c.closeCode, undefined);
});

test('slow consumer: a client that stops reading is closed with 4100; others keep receiving', async () => {
  const channels = Array.from({ length: 100 }, (_, i) => `flood-${i}`);
  const slow = await client(FLOOD.key);
  const fast = await client(FLOOD.key);
  const flood = (body: object) => trigger(s.httpUrl, body, { appId: FLOOD.id, key: FLOOD.key, secret: FLOOD.secret });
  for (const ch of channels) await slow.subscribe(ch);
  await fast.subscribe('flood-0');
  (slow.ws as unknown as { _socket: Socket })._socket.pause();
  const data = 'x'.repeat(9000);
  const conn = () => s.server.hub.states.get(FLOOD.id)?.connections.get(slow.socketId);
  // each trigger fans ~900 KB out to the paused client; the kernel buffers fill, then ours does
  for (let i = 0; i < 200 && !conn()?.closed; i++) {
    const res = await flood({ name: 'flood', channels, data });
    assert.equal(res.status, 200);
  }
  assert.equal(conn()?.closed ?? true, true, 'the slow consumer was cut off');
  (slow.ws as unknown as { _socket: Socket })._socket.resume();
  assert.equal(await slow.waitClose(30_000), 4100);
  await fast.waitFor((f) => f.event === 'flood');
  assert.equal((await flood({ name: 'after-flood', channel: 'flood-0', data: '1' })).status, 200);
  await fast.waitFor((f) => f.event === 'after-flood', 10_000);
  await assertStillServes(s);
});
