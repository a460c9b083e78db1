// Exact frame shapes on the wire, as pusher-js and the other Pusher clients parse them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient, type Frame } from '../helpers/raw-client.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

let s: TestServer;
const clients: RawClient[] = [];
before(async () => (s = await startServer()));
after(async () => {
  for (const c of clients) c.close();
  await s.close();
});

async function client(query?: string) {
  const c = await RawClient.established(s.wsUrl(undefined, query));
  clients.push(c);
  return c;
}

function presenceAuth(c: { socketId: string }, channel: string, member: object) {
  const channelData = JSON.stringify(member);
  return { auth: channelAuth(s.app.key, s.app.secret, c.socketId, channel, channelData), channelData };
}

/** A channel position as the server writes it: a base-16 epoch and an offset. */
const EPOCH = /^[0-9a-f]{12}$/;

/** The frame's epoch and offset, checked for shape; the rest of the frame to compare exactly. */
function positioned(frame: Record<string, unknown>): { rest: Record<string, unknown>; epoch: string; offset: number } {
  const { epoch, offset, ...rest } = frame;
  assert.match(String(epoch), EPOCH);
  assert.ok(Number.isSafeInteger(offset), `offset ${offset} is an integer`);
  return { rest, epoch: epoch as string, offset: offset as number };
}

/** Every spec frame (pusher:*, pusher_internal:*) any client received carries `data` as a string. */
function assertSpecFramesHaveStringData(frames: Frame[]) {
  for (const f of frames) {
    if (!/^pusher(_internal)?:/.test(f.event)) continue;
    assert.equal(typeof f.data, 'string', `${f.event} data must be a JSON string: ${JSON.stringify(f)}`);
    JSON.parse(f.data as string);
  }
}

test('connection_established: data is a JSON string with socket_id and activity_timeout, nothing else', async () => {
  const c = await client();
  const raw = JSON.parse(c.raw[0]);
  assert.deepEqual(Object.keys(raw).sort(), ['data', 'event']);
  assert.equal(raw.event, 'pusher:connection_established');
  assert.equal(typeof raw.data, 'string');
  const data = JSON.parse(raw.data);
  assert.deepEqual(Object.keys(data).sort(), ['activity_timeout', 'socket_id']);
  assert.match(data.socket_id, /^\d+\.\d+$/);
  assert.equal(data.activity_timeout, 120);
});

test('socket ids are distinct per connection', async () => {
  const a = await client();
  const b = await client();
  assert.notEqual(a.socketId, b.socketId);
});

test('protocol versions 5, 6, 7 and a missing protocol parameter are accepted', async () => {
  for (const q of ['protocol=5', 'protocol=6', 'protocol=7&client=js&version=8.4.0', 'client=js']) {
    const c = await client(q);
    assert.match(c.socketId, /^\d+\.\d+$/, q);
  }
});

test('pusher:ping is answered with pusher:pong whose data is a JSON string', async () => {
  const c = await client();
  c.send({ event: 'pusher:ping', data: {} });
  const pong = await c.next('pusher:pong');
  assert.equal(typeof pong.data, 'string');
  assert.deepEqual(decode(pong), {});
  assert.equal(pong.channel, undefined);
  // data as a JSON string, and no data at all, work too
  c.send('{"event":"pusher:ping","data":"{}"}');
  await c.next('pusher:pong');
  c.send('{"event":"pusher:ping"}');
  await c.next('pusher:pong');
});

test('pusher:subscribe accepts data as an object or as a JSON string', async () => {
  const c = await client();
  c.send({ event: 'pusher:subscribe', data: JSON.stringify({ channel: 'as-string' }) });
  const ok = await c.waitFor((f) => f.channel === 'as-string');
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  // The data is the channel's position (no event yet: offset 0).
  assert.equal(positioned(decode(ok)).offset, 0);
  assert.deepEqual(positioned(decode(ok)).rest, {});
  const priv = 'private-as-string';
  c.send({
    event: 'pusher:subscribe',
    data: JSON.stringify({ channel: priv, auth: channelAuth(s.app.key, s.app.secret, c.socketId, priv) }),
  });
  assert.equal((await c.waitFor((f) => f.channel === priv)).event, 'pusher_internal:subscription_succeeded');
  const obj = await c.subscribe('as-object');
  const { epoch } = positioned(decode(obj));
  assert.deepEqual(JSON.parse(c.raw[c.frames.indexOf(obj)]), {
    event: 'pusher_internal:subscription_succeeded',
    channel: 'as-object',
    data: `{"epoch":"${epoch}","offset":0}`,
  });
});

test('a triggered event arrives as {event, channel, data} with data passed through verbatim', async () => {
  const c = await client();
  await c.subscribe('shapes');
  assert.equal(
    (await trigger(s.httpUrl, { name: 'str', channel: 'shapes', data: 'plain text, not JSON' })).status,
    200,
  );
  assert.equal((await trigger(s.httpUrl, { name: 'obj', channel: 'shapes', data: { n: 1 } })).status, 200);
  const str = await c.waitFor((f) => f.event === 'str');
  const first = positioned(JSON.parse(c.raw[c.frames.indexOf(str)]));
  assert.deepEqual(first.rest, { event: 'str', channel: 'shapes', data: 'plain text, not JSON' });
  assert.equal(first.offset, 1, "the channel's first event");
  const obj = await c.waitFor((f) => f.event === 'obj');
  assert.equal(obj.data, '{"n":1}');
  assert.deepEqual([obj.epoch, obj.offset], [first.epoch, 2], 'the next offset of the same stream');
  assert.equal(obj.user_id, undefined);
});

test('presence: subscription_succeeded carries {presence:{ids,hash,count}}; members come and go', async () => {
  const ch = 'presence-room';
  const a = await client();
  const pa = presenceAuth(a, ch, { user_id: 'alice', user_info: { name: 'Alice' } });
  const okA = await a.subscribe(ch, pa.auth, pa.channelData);
  assert.equal(okA.event, 'pusher_internal:subscription_succeeded');
  assert.equal(typeof okA.data, 'string');
  assert.deepEqual(positioned(decode(okA)).rest, {
    presence: { ids: ['alice'], hash: { alice: { name: 'Alice' } }, count: 1 },
  });

  const b = await client();
  const pb = presenceAuth(b, ch, { user_id: 42 }); // numeric ids become strings
  const okB = await b.subscribe(ch, pb.auth, pb.channelData);
  const data = decode(okB);
  assert.deepEqual(data.presence.ids.sort(), ['42', 'alice']);
  assert.deepEqual(data.presence.hash, { alice: { name: 'Alice' }, 42: {} });
  assert.equal(data.presence.count, 2);

  const added = await a.waitFor((f) => f.event === 'pusher_internal:member_added');
  assert.equal(added.channel, ch);
  assert.deepEqual(decode(added), { user_id: '42', user_info: {} });
  assert.equal(b.events('pusher_internal:member_added').length, 0, 'a member is not told about itself');

  b.send({ event: 'pusher:unsubscribe', data: { channel: ch } });
  const removed = await a.waitFor((f) => f.event === 'pusher_internal:member_removed');
  assert.deepEqual(decode(removed), { user_id: '42' });
  assertSpecFramesHaveStringData([...a.frames, ...b.frames]);
});

test('presence: a second connection of the same user adds no member; only the last one leaving removes it', async () => {
  const ch = 'presence-twice';
  const watcher = await client();
  const pw = presenceAuth(watcher, ch, { user_id: 'w' });
  await watcher.subscribe(ch, pw.auth, pw.channelData);
  const u1 = await client();
  const u2 = await client();
  for (const u of [u1, u2]) {
    const p = presenceAuth(u, ch, { user_id: 'same' });
    await u.subscribe(ch, p.auth, p.channelData);
  }
  await watcher.waitFor((f) => f.event === 'pusher_internal:member_added');
  u1.close();
  await u1.waitClose();
  // u2 is still there: a ping round-trip orders things, then nothing was removed
  watcher.send({ event: 'pusher:ping' });
  await watcher.next('pusher:pong');
  assert.equal(watcher.events('pusher_internal:member_added').length, 1);
  assert.equal(watcher.events('pusher_internal:member_removed').length, 0);
  u2.close();
  const removed = await watcher.waitFor((f) => f.event === 'pusher_internal:member_removed');
  assert.deepEqual(decode(removed), { user_id: 'same' });
});

test('client events on presence carry user_id; the sender does not get its own event', async () => {
  const ch = 'presence-chat';
  const a = await client();
  const b = await client();
  for (const [c, id] of [
    [a, 'ann'],
    [b, 'bob'],
  ] as const) {
    const p = presenceAuth(c, ch, { user_id: id });
    await c.subscribe(ch, p.auth, p.channelData);
  }
  a.send({ event: 'client-typing', channel: ch, data: { on: true } });
  const got = await b.waitFor((f) => f.event === 'client-typing');
  assert.deepEqual(positioned(JSON.parse(b.raw[b.frames.indexOf(got)])).rest, {
    event: 'client-typing',
    channel: ch,
    data: { on: true },
    user_id: 'ann',
  });
  a.send({ event: 'pusher:ping' });
  await a.next('pusher:pong');
  assert.equal(a.events('client-typing').length, 0);
});

test('client events: the layouts clients send arrive as sent; anything more is re-encoded without it', async () => {
  const ch = 'private-wire';
  const a = await client();
  const b = await client();
  for (const c of [a, b]) await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch));
  const received = async (event: string) => b.raw[b.frames.indexOf(await b.waitFor((f) => f.event === event))];
  // pusher-js writes {event, data, channel}; data keeps its spacing and escapes when forwarded as is.
  const asSent = '{"event":"client-one","data":{"text":"a \\"quoted\\" }","n": 1},"channel":"private-wire"}';
  a.send(asSent);
  const one = await received('client-one');
  const { epoch } = positioned(JSON.parse(one));
  assert.equal(one, asSent.slice(0, -1) + `,"epoch":"${epoch}","offset":1}`, 'as sent, its position appended');
  // A key the server does not forward (a made-up user_id) makes the server encode the event itself.
  a.send('{"event":"client-two","data":"hi","channel":"private-wire","user_id":"admin"}');
  assert.deepEqual(positioned(JSON.parse(await received('client-two'))).rest, {
    event: 'client-two',
    channel: ch,
    data: 'hi',
  });
  a.send('{"event":"client-three","channel":"private-wire","data":"x","channel":"private-wire"}');
  const three = positioned(JSON.parse(await received('client-three')));
  assert.deepEqual(three.rest, { event: 'client-three', channel: ch, data: 'x' });
});

test('subscribing twice confirms again; unsubscribing stops delivery', async () => {
  const c = await client();
  await c.subscribe('twice');
  c.send({ event: 'pusher:subscribe', data: { channel: 'twice' } });
  await c.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded' && c.events(f.event).length === 2);
  c.send({ event: 'pusher:unsubscribe', data: { channel: 'twice' } });
  c.send({ event: 'pusher:ping' });
  await c.next('pusher:pong');
  await trigger(s.httpUrl, { name: 'gone', channel: 'twice', data: '1' });
  await c.subscribe('after-unsub');
  await trigger(s.httpUrl, { name: 'marker', channel: 'after-unsub', data: '1' });
  await c.waitFor((f) => f.event === 'marker');
  assert.equal(c.events('gone').length, 0);
});

test('socket_id on a trigger excludes that connection only', async () => {
  const a = await client();
  const b = await client();
  await a.subscribe('excl');
  await b.subscribe('excl');
  await trigger(s.httpUrl, { name: 'e1', channel: 'excl', data: '1', socket_id: a.socketId });
  await trigger(s.httpUrl, { name: 'e2', channel: 'excl', data: '2' });
  await b.waitFor((f) => f.event === 'e2');
  await a.waitFor((f) => f.event === 'e2');
  assert.equal(b.events('e1').length, 1);
  assert.equal(a.events('e1').length, 0);
});

test('every frame is a text frame and every spec frame has string data', async () => {
  // Its own clients, driven through every kind of spec frame the server sends.
  const a = await client();
  const b = await client();
  const ch = 'presence-frames';
  for (const [c, id] of [
    [a, 'fa'],
    [b, 'fb'],
  ] as const) {
    const { auth, channelData } = presenceAuth(c, ch, { user_id: id });
    await c.subscribe(ch, auth, channelData);
  }
  await a.waitFor((f) => f.event === 'pusher_internal:member_added');
  await a.subscribe('private-frames', 'test-key:bad'); // subscription_error
  a.send({ event: 'client-x', channel: 'public-frames', data: {} }); // pusher:error (4301)
  a.send({ event: 'pusher:ping', data: {} });
  await a.next('pusher:pong');
  b.close();
  await a.waitFor((f) => f.event === 'pusher_internal:member_removed');
  await trigger(s.httpUrl, { name: 'app-event', channel: ch, data: '{"n":1}' });
  await a.waitFor((f) => f.event === 'app-event');
  const seen = new Set(a.frames.map((f) => f.event));
  for (const event of [
    'pusher:connection_established',
    'pusher_internal:subscription_succeeded',
    'pusher_internal:member_added',
    'pusher_internal:member_removed',
    'pusher:subscription_error',
    'pusher:error',
    'pusher:pong',
  ])
    assert.ok(seen.has(event), `${event} was exercised`);
  for (const c of [a, b]) {
    assert.ok(c.raw.every((r) => !r.startsWith('<binary>')));
    assertSpecFramesHaveStringData(c.frames);
  }
});
