// Client events (src/hub/client-events.ts) through the hub, on exact frames: each refusal with its
// message, the per-second window at its bounds, the data size limit in bytes, and what the other
// subscribers (never the sender) receive.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppOptions } from '../../src/apps/app.ts';
import { clientEvent } from '../../src/hub/client-events.ts';
import { decodeInbound } from '../../src/protocol/messages.ts';
import { hubKit, makeApp, type HubKit } from './hub-kit.ts';

const kits: HubKit[] = [];
after(() => {
  for (const k of kits) k.hub.stop();
});

/** Two sockets of one app in `channel` (and an outsider that is not), replies forgotten. */
function pair(options: Partial<AppOptions> = {}, channel = 'private-c') {
  const app = makeApp({ clientEvents: true, ...options });
  const k = hubKit([app]);
  kits.push(k);
  const sender = k.connect();
  const peer = k.connect();
  const outsider = k.connect();
  const presence = channel.startsWith('presence-');
  k.join(sender, channel, presence ? '{"user_id":"sam"}' : undefined);
  k.join(peer, channel, presence ? '{"user_id":"pia"}' : undefined);
  for (const c of [sender, peer, outsider]) c.socket.take();
  return { ...k, app, sender, peer, outsider };
}

const rejected = (message: string) => ({ event: 'pusher:error', data: JSON.stringify({ message, code: 4301 }) });

test('delivered as sent to the other subscribers, not the sender, and reported', () => {
  const { send, sender, peer, outsider, reports } = pair();
  const text = '{"event":"client-hi","channel":"private-c","data":{"a":[1,"x"]}}';
  send(sender.conn, text);
  assert.deepEqual(peer.socket.frames, [text]);
  assert.deepEqual(sender.socket.frames, []);
  assert.deepEqual(outsider.socket.frames, []);
  assert.deepEqual(reports.at(-1), [
    'clientEvent',
    '1',
    { channel: 'private-c', event: 'client-hi', data: '{"a":[1,"x"]}', socketId: sender.conn.id, userId: undefined },
  ]);
});

test('another layout is encoded by the server; string data stays a string', () => {
  const { send, sender, peer } = pair();
  send(sender.conn, '{"data":{"a":1}, "event":"client-hi","channel":"private-c"}');
  send(sender.conn, { event: 'client-s', channel: 'private-c', data: 'plain text' });
  assert.deepEqual(peer.socket.frames, [
    '{"event":"client-hi","channel":"private-c","data":{"a":1}}',
    '{"event":"client-s","channel":"private-c","data":"plain text"}',
  ]);
});

test('on a presence channel the frame names the sender user', () => {
  const { send, sender, peer, reports } = pair({}, 'presence-room');
  send(sender.conn, { event: 'client-hi', channel: 'presence-room', data: { a: 1 } });
  assert.deepEqual(
    peer.socket.take().map((f) => f.user_id),
    ['sam'],
  );
  const report = reports.at(-1)![2] as { userId: string };
  assert.equal(report.userId, 'sam');
});

test('refused when the app has client events off', () => {
  const { send, sender, peer } = pair({ clientEvents: false });
  send(sender.conn, { event: 'client-hi', channel: 'private-c', data: {} });
  assert.deepEqual(sender.socket.take(), [rejected('Client events are not enabled for this app')]);
  assert.equal(sender.socket.closedWith, undefined, 'a warning, not a close');
  assert.deepEqual(peer.socket.frames, []);
});

test('refused without a channel, or on a channel the socket has not joined', () => {
  const { send, sender, outsider, peer } = pair();
  send(sender.conn, { event: 'client-hi', data: {} });
  send(outsider.conn, { event: 'client-hi', channel: 'private-c', data: {} });
  assert.deepEqual(sender.socket.take(), [rejected('Client event needs a channel')]);
  assert.deepEqual(outsider.socket.take(), [rejected('Client event rejected: not subscribed to private-c')]);
  assert.deepEqual(peer.socket.frames, []);
});

test('refused on public and encrypted channels', () => {
  for (const channel of ['news', 'private-encrypted-c']) {
    const { send, sender, peer } = pair({}, channel);
    send(sender.conn, { event: 'client-hi', channel, data: {} });
    assert.deepEqual(sender.socket.take(), [
      rejected('Client events are only allowed on private and presence channels (not encrypted ones)'),
    ]);
    assert.deepEqual(peer.socket.frames, []);
  }
});

test('event names up to 200 characters', () => {
  const { send, sender, peer } = pair();
  const name = (n: number) => 'client-' + 'x'.repeat(n - 7);
  send(sender.conn, { event: name(200), channel: 'private-c', data: 1 });
  send(sender.conn, { event: name(201), channel: 'private-c', data: 1 });
  assert.deepEqual(sender.socket.take(), [rejected('Event name longer than 200 characters')]);
  assert.deepEqual(
    peer.socket.take().map((f) => f.event.length),
    [200],
  );
});

test('data up to maxEventBytes, counted in bytes: a string as sent, anything else as its JSON', () => {
  const { send, sender, peer } = pair({ maxEventBytes: 10 });
  const at = (data: unknown) => send(sender.conn, { event: 'client-d', channel: 'private-c', data });
  at('x'.repeat(10));
  at('é'.repeat(5)); // 10 bytes
  at({ a: '123456' }); // {"a":"123456"}: 14 bytes
  at('x'.repeat(11));
  at('é'.repeat(6));
  assert.deepEqual(sender.socket.take(), [
    rejected('Client event data is 14 bytes; the limit is 10'),
    rejected('Client event data is 11 bytes; the limit is 10'),
    rejected('Client event data is 12 bytes; the limit is 10'),
  ]);
  assert.deepEqual(
    peer.socket.take().map((f) => f.data),
    ['x'.repeat(10), 'é'.repeat(5)],
  );
});

test('data nested past what JSON.stringify can walk is refused, not a server error', () => {
  const { send, sender, peer } = pair({ maxEventBytes: 1 << 20 });
  // A layout the server re-encodes (a space after the colon), so the data is stringified.
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  send(sender.conn, `{"event": "client-d","channel":"private-c","data":${deep}}`);
  assert.deepEqual(sender.socket.take(), [rejected('Client event data is nested too deeply')]);
  assert.deepEqual(peer.socket.frames, []);
});

test('the rate limit: maxClientEventsPerSecond in each window of 1000 ms from its first event', () => {
  const { hub, sender, peer } = pair({ maxClientEventsPerSecond: 2 });
  const at = (t: number) => {
    sender.conn.lastSeen = t; // what hub.message sets as the frame arrives
    clientEvent(hub, sender.conn, decodeInbound(`{"event":"client-n","channel":"private-c","data":${t}}`));
  };
  const limited = { message: 'Client event rate limit exceeded (2 per second)', code: 4301 };
  const t0 = 1_000_000;
  at(t0);
  at(t0 + 500);
  assert.throws(() => at(t0 + 999), limited);
  at(t0 + 1000); // a new window
  at(t0 + 1999);
  assert.throws(() => at(t0 + 1999), limited);
  assert.deepEqual(
    peer.socket.take().map((f) => f.data),
    [t0, t0 + 500, t0 + 1000, t0 + 1999],
  );
});

test('a stored client event: the extension frame is published once stored, then reported', async () => {
  const { hub, send, sender, peer, reports } = pair();
  let store = (_frame: Buffer) => {};
  const asked: unknown[] = [];
  hub.extension = {
    persistClientEvent: (_conn, e, fields, persist) => {
      asked.push([e, fields, persist]);
      return new Promise<Buffer>((resolve) => (store = resolve));
    },
  };
  send(sender.conn, { event: 'client-s', channel: 'private-c', data: { a: 1 }, persist: true });
  assert.deepEqual(asked, [
    [
      { channel: 'private-c', event: 'client-s', data: '{"a":1}', socketId: sender.conn.id, userId: undefined },
      { event: 'client-s', channel: 'private-c', dataJson: '{"a":1}', userId: undefined },
      true,
    ],
  ]);
  assert.deepEqual(peer.socket.frames, [], 'nothing before it is stored');
  const before = reports.length;
  store(Buffer.from('{"stored":1}'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(peer.socket.frames, ['{"stored":1}']);
  assert.deepEqual(sender.socket.frames, []);
  assert.equal(reports[before][0], 'clientEvent');
});
