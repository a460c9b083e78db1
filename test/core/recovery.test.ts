// Delivery continuity on one node: every channel event carries its position, and a client that
// comes back with its last position gets what it missed, in order, before anything newer; or
// `recovered: false` with the current position when that cannot be served.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient, type Frame } from '../helpers/raw-client.ts';
import { appsFileEnv } from '../helpers/pusher-js.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { ENTRY_OVERHEAD } from '../../src/cluster/streams.ts';

let s: TestServer;
let short: TestServer; // keeps 3 events per channel
let off: TestServer; // recovery off
let noEvents: TestServer; // recoveryMaxEvents: 0
let tight: TestServer; // a process-wide cap of about four kept events
/** What the byte cap counts for one kept event of the tight server's test: its frame plus bookkeeping. */
const TIGHT_ENTRY = ENTRY_OVERHEAD + 80;
const clients: RawClient[] = [];
before(async () => {
  s = await startServer();
  short = await startServer({ env: appsFileEnv({ recoveryMaxEvents: 3, clientEvents: true }) });
  off = await startServer({ env: appsFileEnv({ recoveryWindowSeconds: 0 }) });
  noEvents = await startServer({ env: appsFileEnv({ recoveryMaxEvents: 0 }) });
  tight = await startServer({ env: { PUSHI_RECOVERY_MAX_BYTES: String(4.5 * TIGHT_ENTRY) } });
});
after(async () => {
  for (const c of clients) c.close();
  await Promise.all([s, short, off, noEvents, tight].map((x) => x.close()));
});

async function client(server = s) {
  const c = await RawClient.established(server.wsUrl());
  clients.push(c);
  return c;
}

/** Subscribes with `recover` and returns everything the channel got up to subscription_succeeded. */
async function resume(c: RawClient, channel: string, recover: unknown, auth?: string) {
  const from = c.frames.length;
  c.send({ event: 'pusher:subscribe', data: { channel, auth, recover } });
  const ok = await c.waitFor(
    (f) => f.channel === channel && f.event === 'pusher_internal:subscription_succeeded' && c.frames.indexOf(f) >= from,
  );
  const replayed = c.frames.slice(from, c.frames.indexOf(ok)).filter((f) => f.channel === channel);
  return { replayed, ok: decode(ok) };
}

async function send(server: TestServer, channel: string, n: number, prefix = 'e') {
  for (let i = 1; i <= n; i++) {
    assert.equal((await trigger(server.httpUrl, { name: `${prefix}${i}`, channel, data: String(i) })).status, 200);
  }
}

const position = (f: Frame) => ({ epoch: f.epoch as string, offset: f.offset as number });

test('events carry their channel position: offsets count up by one per channel, each channel its own epoch', async () => {
  const c = await client();
  await c.subscribe('pos-a');
  await c.subscribe('pos-b');
  await send(s, 'pos-a', 2);
  await send(s, 'pos-b', 1);
  const a2 = await c.waitFor((f) => f.channel === 'pos-a' && f.event === 'e2');
  const a1 = c.frames.find((f) => f.channel === 'pos-a' && f.event === 'e1')!;
  const b1 = await c.waitFor((f) => f.channel === 'pos-b' && f.event === 'e1');
  assert.equal(a1.offset, 1);
  assert.equal(a2.offset, 2);
  assert.equal(a1.epoch, a2.epoch);
  assert.equal(b1.offset, 1);
  assert.notEqual(b1.epoch, a1.epoch);
});

test('a client that comes back gets the missed events in order, then recovered: true, then newer ones', async () => {
  const first = await client();
  await first.subscribe('resume');
  await send(s, 'resume', 2, 'before');
  const last = position(await first.waitFor((f) => f.event === 'before2'));
  first.close();
  await first.waitClose();
  await send(s, 'resume', 3, 'missed');

  const back = await client();
  const { replayed, ok } = await resume(back, 'resume', last);
  assert.deepEqual(
    replayed.map((f) => [f.event, f.offset]),
    [
      ['missed1', 3],
      ['missed2', 4],
      ['missed3', 5],
    ],
  );
  assert.deepEqual(ok, { recovered: true, epoch: last.epoch, offset: 5 });
  await send(s, 'resume', 1, 'after');
  const next = await back.waitFor((f) => f.event === 'after1');
  assert.equal(next.offset, 6);
  assert.ok(
    back.frames.indexOf(next) > back.frames.findIndex((f) => f.event === 'pusher_internal:subscription_succeeded'),
  );
});

test('a client already up to date is recovered with nothing to replay', async () => {
  const c = await client();
  const ok = decode(await c.subscribe('current'));
  await send(s, 'current', 1);
  const got = position(await c.waitFor((f) => f.event === 'e1'));
  assert.deepEqual(got, { epoch: ok.epoch, offset: 1 }, 'subscription_succeeded named the position before it');
  const again = await client();
  const r = await resume(again, 'current', got);
  assert.deepEqual(r.replayed, []);
  assert.deepEqual(r.ok, { recovered: true, ...got });
});

test("events the client's previous socket sent are not replayed to it (socket_id)", async () => {
  const ch = 'private-own';
  const a = await client();
  const b = await client();
  for (const c of [a, b]) await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch));
  await send(s, ch, 1, 'start');
  const from = position(await a.waitFor((f) => f.event === 'start1'));
  a.send({ event: 'client-mine', channel: ch, data: {} });
  await b.waitFor((f) => f.event === 'client-mine');
  await send(s, ch, 1, 'theirs');
  await b.waitFor((f) => f.event === 'theirs1');
  a.close();
  const back = await client();
  const auth = channelAuth(s.app.key, s.app.secret, back.socketId, ch);
  const r = await resume(back, ch, { ...from, socket_id: a.socketId }, auth);
  assert.deepEqual(
    r.replayed.map((f) => f.event),
    ['theirs1'],
  );
  assert.equal(r.ok.recovered, true);
  const other = await client();
  const all = await resume(other, ch, from, channelAuth(s.app.key, s.app.secret, other.socketId, ch));
  assert.deepEqual(
    all.replayed.map((f) => f.event),
    ['client-mine', 'theirs1'],
    'without socket_id every missed event comes back',
  );
});

test('positions that cannot be served give recovered: false, the current position and no events', async () => {
  const c = await client();
  await c.subscribe('bad-resume');
  await c.subscribe('other-stream');
  await send(s, 'bad-resume', 2);
  await send(s, 'other-stream', 1);
  const at = position(await c.waitFor((f) => f.channel === 'bad-resume' && f.event === 'e2'));
  const otherEpoch = (await c.waitFor((f) => f.channel === 'other-stream' && f.event === 'e1')).epoch;
  const cases: unknown[] = [
    { epoch: 'ffffffffffff', offset: 1 }, // an epoch that is not this channel's
    { epoch: otherEpoch, offset: 0 }, // another channel's epoch
    { epoch: at.epoch, offset: 99 }, // the future
    { epoch: at.epoch, offset: -1 },
    { epoch: at.epoch, offset: '1' },
    { epoch: at.epoch, offset: 1.5 },
    { epoch: 7, offset: 1 },
    { epoch: '"}{', offset: 1 },
    'yesterday',
    [at.epoch, 1],
  ];
  for (const recover of cases) {
    const fresh = await client();
    const r = await resume(fresh, 'bad-resume', recover);
    assert.deepEqual(r.replayed, [], `nothing replayed for ${JSON.stringify(recover)}`);
    assert.deepEqual(r.ok, { recovered: false, ...at }, `recovered: false for ${JSON.stringify(recover)}`);
  }
});

test('past recoveryMaxEvents the gap is not served; within it, it is', async () => {
  const c = await client(short);
  await c.subscribe('capped');
  await send(short, 'capped', 1);
  const from = position(await c.waitFor((f) => f.event === 'e1'));
  await send(short, 'capped', 3, 'x'); // offsets 2..4: three kept, 2 is the oldest
  await c.waitFor((f) => f.event === 'x3');
  const ok = await resume(await client(short), 'capped', from);
  assert.deepEqual(
    ok.replayed.map((f) => f.offset),
    [2, 3, 4],
  );
  await send(short, 'capped', 1, 'y'); // offset 5: offset 2 is dropped
  await c.waitFor((f) => f.event === 'y1');
  const late = await resume(await client(short), 'capped', from);
  assert.deepEqual(late.replayed, []);
  assert.deepEqual(late.ok, { recovered: false, epoch: from.epoch, offset: 5 });
});

test('with recovery off (window or count 0) there are no positions, and a resume is answered recovered: false', async () => {
  for (const server of [off, noEvents]) {
    const c = await client(server);
    const ok = decode(await c.subscribe('plain'));
    assert.deepEqual(ok, {});
    await send(server, 'plain', 1);
    const e = await c.waitFor((f) => f.event === 'e1');
    assert.deepEqual(e, { event: 'e1', channel: 'plain', data: '1' });
    const r = await resume(await client(server), 'plain', { epoch: 'abcdefabcdef', offset: 0 });
    assert.deepEqual(r.ok, { recovered: false });
  }
});

test('PUSHI_RECOVERY_MAX_BYTES caps the history of all channels together: the oldest events go first', async () => {
  const c = await client(tight);
  await c.subscribe('bytes-a');
  await c.subscribe('bytes-b');
  await send(tight, 'bytes-a', 2, 'a'); // a1 a2
  const a1 = position(await c.waitFor((f) => f.event === 'a1'));
  await send(tight, 'bytes-b', 2, 'b'); // four kept: at the cap
  const b0 = { epoch: (await c.waitFor((f) => f.event === 'b1')).epoch as string, offset: 0 };
  const frame = c.raw[c.frames.indexOf(await c.waitFor((f) => f.event === 'b2'))];
  assert.ok(Math.abs(Buffer.byteLength(frame) + ENTRY_OVERHEAD - TIGHT_ENTRY) < 10, `frames of about 80 B: ${frame}`);
  const kept = async (channel: string, from: unknown) => {
    const r = await resume(await client(tight), channel, from);
    return r.ok.recovered ? r.replayed.map((f) => f.event) : false;
  };
  assert.deepEqual(await kept('bytes-a', { ...a1, offset: 0 }), ['a1', 'a2'], 'all four kept');
  await send(tight, 'bytes-b', 1, 'c'); // a fifth: a1, the oldest of any channel, goes
  await c.waitFor((f) => f.event === 'c1');
  assert.equal(await kept('bytes-a', { ...a1, offset: 0 }), false, 'a resume below the evicted head');
  assert.deepEqual(await kept('bytes-a', a1), ['a2']);
  assert.deepEqual(await kept('bytes-b', b0), ['b1', 'b2', 'c1'], 'the newer channel keeps all of its events');
});

test('a restarted server serves a new epoch: a resume with the old one is not recovered', async () => {
  const first = await startServer();
  const c = await RawClient.established(first.wsUrl());
  await c.subscribe('restarted');
  await send(first, 'restarted', 1);
  const before = position(await c.waitFor((f) => f.event === 'e1'));
  c.close();
  await first.close();
  const again = await startServer({ dataDir: first.dataDir });
  try {
    const back = await RawClient.established(again.wsUrl());
    clients.push(back);
    const r = await resume(back, 'restarted', before);
    assert.equal(r.ok.recovered, false);
    assert.notEqual(r.ok.epoch, before.epoch);
    assert.equal(r.ok.offset, 0);
    assert.deepEqual(r.replayed, []);
  } finally {
    await again.close();
  }
});

test('presence channels keep their member list next to the position', async () => {
  const ch = 'presence-pos';
  const c = await client();
  const channelData = JSON.stringify({ user_id: 'p1' });
  const auth = channelAuth(s.app.key, s.app.secret, c.socketId, ch, channelData);
  c.send({ event: 'pusher:subscribe', data: { channel: ch, auth, channel_data: channelData, recover: 'junk' } });
  const ok = decode(await c.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded'));
  assert.deepEqual(ok.presence, { ids: ['p1'], hash: { p1: {} }, count: 1 });
  assert.equal(ok.recovered, false);
  assert.equal(ok.offset, 0);
});

test('cache channels: a recovered resume does not get the cached event again; any other subscribe gets it with its position', async () => {
  const ch = 'cache-resume';
  const c = await client();
  await c.subscribe(ch);
  await send(s, ch, 2);
  const e2 = position(await c.waitFor((f) => f.channel === ch && f.event === 'e2'));
  const e1 = position(c.frames.find((f) => f.channel === ch && f.event === 'e1')!);
  /** Subscribes with `recover`, then triggers a barrier event: the frames between succeeded and it. */
  const afterSucceeded = async (recover: unknown, barrier: string) => {
    const fresh = await client();
    const r = await resume(fresh, ch, recover);
    await send(s, ch, 1, barrier);
    const end = await fresh.waitFor((f) => f.event === `${barrier}1`);
    const from = fresh.frames.findIndex((f) => f.event === 'pusher_internal:subscription_succeeded');
    return { ...r, between: fresh.frames.slice(from + 1, fresh.frames.indexOf(end)) };
  };
  const upToDate = await afterSucceeded(e2, 'b');
  assert.equal(upToDate.ok.recovered, true);
  assert.deepEqual(upToDate.between, [], 'up to date: the cached event is not sent again');
  const behind = await afterSucceeded(e1, 'c');
  assert.equal(behind.ok.recovered, true);
  assert.deepEqual(
    behind.replayed.map((f) => [f.event, f.offset]),
    [
      ['e2', 2],
      ['b1', 3],
    ],
  );
  assert.deepEqual(behind.between, [], 'the replay covered it');
  const lost = await afterSucceeded({ epoch: 'ffffffffffff', offset: 1 }, 'd');
  assert.equal(lost.ok.recovered, false);
  assert.deepEqual(
    lost.between.map((f) => [f.event, f.epoch, f.offset]),
    [['c1', e2.epoch, 4]],
    'not recovered: the cached event, with its position',
  );
  const plain = await client();
  await plain.subscribe(ch);
  const cached = await plain.waitFor((f) => f.channel === ch && f.event === 'd1');
  assert.deepEqual(position(cached), { epoch: e2.epoch, offset: 5 });
});
