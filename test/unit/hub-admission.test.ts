// The hub's own decisions (src/hub/hub.ts), on exact frames and close codes: who is admitted, how
// each message is dispatched and kept in order, what the activity sweep does at its bounds, and
// what a delivery counts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App, AppSource } from '../../src/apps/app.ts';
import { Hub } from '../../src/hub/hub.ts';
import { PusherError } from '../../src/protocol/errors.ts';
import { userAuth } from '../../src/protocol/signatures.ts';
import { hubKit, makeApp, RecordingSocket, type HubKit } from './hub-kit.ts';

const kits: HubKit[] = [];
function kit(apps: App[] = [makeApp()]): HubKit {
  const k = hubKit(apps);
  kits.push(k);
  return k;
}
after(() => {
  for (const k of kits) k.hub.stop();
});

const error = (message: string, code: number | null) => ({
  event: 'pusher:error',
  data: JSON.stringify({ message, code }),
});

test('admitted: connection_established with the socket id and activity timeout, counted', () => {
  const { hub, connect, reports } = kit();
  const { conn, socket } = connect();
  assert.match(conn.id, /^\d+\.\d+$/);
  assert.deepEqual(socket.take(), [
    {
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: conn.id, activity_timeout: 120 }),
    },
  ]);
  assert.equal(socket.closedWith, undefined);
  assert.equal(hub.connections, 1);
  assert.deepEqual(reports, [['connectionOpened', '1', conn.id]]);
  assert.equal(hub.states.get('1')?.connections.get(conn.id), conn);
});

test('protocol versions 5, 6, 7 and none are admitted; others get 4007', () => {
  const { hub, reports } = kit();
  const app = makeApp();
  for (const protocol of ['5', '6', '7', null]) {
    const socket = new RecordingSocket();
    assert.ok(hub.open(socket, app.key, protocol), String(protocol));
  }
  for (const protocol of ['4', '8', '', '7.0']) {
    const socket = new RecordingSocket();
    const message = `Unsupported protocol version ${protocol}; this server speaks 7`;
    assert.equal(hub.open(socket, app.key, protocol), undefined);
    assert.deepEqual(socket.take(), [error(message, 4007)]);
    assert.deepEqual(socket.closedWith, { code: 4007, reason: message });
    assert.deepEqual(reports.at(-1), ['connectionRejected', app.key, 4007, message]);
  }
  assert.equal(hub.connections, 4);
});

test('an unknown key gets 4001, a disabled app 4003', async () => {
  const disabled = { ...makeApp({}, '2'), enabled: false };
  const { hub } = kit([makeApp(), disabled]);
  const unknown = new RecordingSocket();
  assert.equal(await hub.open(unknown, 'nope', '7'), undefined);
  assert.deepEqual(unknown.take(), [error('App key nope does not exist', 4001)]);
  assert.deepEqual(unknown.closedWith, { code: 4001, reason: 'App key nope does not exist' });
  const off = new RecordingSocket();
  assert.equal(hub.open(off, disabled.key, '7'), undefined);
  assert.deepEqual(off.take(), [error('App is disabled', 4003)]);
  assert.deepEqual(off.closedWith, { code: 4003, reason: 'App is disabled' });
  assert.equal(hub.connections, 0);
});

test('an app not cached is looked up first; a failed lookup is 4302', async () => {
  const app = makeApp();
  const lookup = (fail: boolean): AppSource => ({
    findById: async () => app,
    findByKey: async () => {
      if (fail) throw new Error('store down');
      return app;
    },
  });
  const slow = new Hub({ apps: lookup(false), activityTimeout: 120, pongTimeout: 30, maxBufferedBytes: 1000 });
  const failing = new Hub({ apps: lookup(true), activityTimeout: 120, pongTimeout: 30, maxBufferedBytes: 1000 });
  try {
    const socket = new RecordingSocket();
    const pending = slow.open(socket, app.key, '7');
    assert.ok(pending instanceof Promise, 'not synchronous without a cached app');
    assert.equal(socket.frames.length, 0);
    const conn = await pending;
    assert.ok(conn);
    assert.equal(JSON.parse(socket.frames[0]).event, 'pusher:connection_established');
    const refused = new RecordingSocket();
    assert.equal(await failing.open(refused, app.key, '7'), undefined);
    assert.deepEqual(refused.take(), [error('Could not look up the app; try again', 4302)]);
    assert.equal(refused.closedWith?.code, 4302);
  } finally {
    slow.stop();
    failing.stop();
  }
});

test('allowed origins: a listed origin is admitted, another or none gets 4009', () => {
  const app = makeApp({ allowedOrigins: ['https://a.example'] });
  const { hub, connect } = kit([app]);
  assert.ok(connect(app, 'https://a.example').conn);
  for (const origin of ['https://b.example', undefined]) {
    const socket = new RecordingSocket(origin);
    const message = `Origin ${origin ?? '(none)'} is not allowed for this app`;
    assert.equal(hub.open(socket, app.key, '7'), undefined);
    assert.deepEqual(socket.take(), [error(message, 4009)]);
    assert.deepEqual(socket.closedWith, { code: 4009, reason: message });
  }
});

test('maxConnections: the connection past the quota gets 4004; a closed one frees its place', () => {
  const app = makeApp({ maxConnections: 2 });
  const { hub, connect } = kit([app]);
  const first = connect(app);
  connect(app);
  const socket = new RecordingSocket();
  const message = 'App is over its connection quota (2)';
  assert.equal(hub.open(socket, app.key, '7'), undefined);
  assert.deepEqual(socket.take(), [error(message, 4004)]);
  assert.deepEqual(socket.closedWith, { code: 4004, reason: message });
  hub.closed(first.conn);
  hub.closed(first.conn); // told twice: counted once
  assert.equal(hub.connections, 1);
  assert.ok(connect(app).conn);
  assert.equal(hub.connections, 2);
});

test('maxConnections 0 is no limit', () => {
  const app = makeApp({ maxConnections: 0 });
  const { hub, connect } = kit([app]);
  for (let i = 0; i < 5; i++) connect(app);
  assert.equal(hub.connections, 5);
});

test('shutdown: every connection gets 4200, and so does one arriving afterwards', () => {
  const { hub, connect } = kit();
  const a = connect();
  a.socket.take();
  hub.shutdown();
  const message = 'Server shutting down; please reconnect';
  assert.deepEqual(a.socket.take(), [error(message, 4200)]);
  assert.deepEqual(a.socket.closedWith, { code: 4200, reason: message });
  const late = new RecordingSocket();
  assert.equal(hub.open(late, makeApp().key, '7'), undefined);
  assert.deepEqual(late.take(), [error(message, 4200)]);
});

test('state(app) keeps the freshest record of an app', () => {
  const { hub } = kit();
  const first = makeApp();
  const state = hub.state(first);
  const renewed = { ...first, secret: 'rotated' };
  assert.equal(hub.state(renewed), state);
  assert.equal(state.app, renewed);
  assert.equal(hub.state(first).app, first);
});

test('dispatch: ping answered with pong, pong and known events quietly taken, counted in traffic', () => {
  const { connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  const ping = '{"event":"pusher:ping","data":{}}';
  send(conn, ping);
  assert.deepEqual(socket.take(), [{ event: 'pusher:pong', data: '{}' }]);
  send(conn, { event: 'pusher:pong', data: {} });
  assert.deepEqual(socket.take(), []);
  assert.equal(conn.traffic.messagesIn, 2);
  assert.equal(conn.traffic.bytesIn, ping.length + '{"event":"pusher:pong","data":{}}'.length);
});

test('dispatch: an unknown event and a malformed message are warned about, the socket stays open', () => {
  const { connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  send(conn, { event: 'foo', data: {} });
  send(conn, 'not json');
  send(conn, { event: 'pusher:subscribe', data: 'x' });
  assert.deepEqual(socket.take(), [
    error('Unknown event "foo"', null),
    error('Invalid JSON: message must be a JSON object', null),
    error('Invalid message: "data" of pusher:subscribe is not JSON', null),
  ]);
  assert.equal(socket.closedWith, undefined);
});

test('dispatch: events the extension handles go to it; an unexpected error is a 4302 to that client only', () => {
  const { hub, connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  const handled: string[] = [];
  hub.extension = {
    handle: (_c, msg) => {
      handled.push(msg.event);
      if (msg.event === 'pusher:boom') throw new Error('bug');
      return msg.event === 'pusher:latest' ? true : undefined;
    },
  };
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    send(conn, { event: 'pusher:latest', data: {} });
    assert.deepEqual(socket.take(), []);
    send(conn, { event: 'pusher:other', data: {} });
    assert.deepEqual(socket.take(), [error('Unknown event "pusher:other"', null)]);
    send(conn, { event: 'pusher:boom', data: {} });
    assert.deepEqual(socket.take(), [error('Internal server error', 4302)]);
    assert.equal(socket.closedWith, undefined);
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(handled, ['pusher:latest', 'pusher:other', 'pusher:boom']);
});

test('while one message is handled asynchronously: pings answer at once, the next extension event waits, in order; a failure is reported', async () => {
  const { hub, connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  const gates: Array<{ open: () => void; fail: (e: Error) => void }> = [];
  hub.extension = {
    handle: (_c, msg) => {
      if (msg.event !== 'pusher:wait') return undefined;
      return new Promise<void>((open, fail) => gates.push({ open, fail }));
    },
  };
  send(conn, { event: 'pusher:wait', data: {} });
  send(conn, { event: 'pusher:ping', data: {} });
  send(conn, { event: 'pusher:wait', data: {} });
  send(conn, { event: 'pusher:ping', data: {} });
  const pong = { event: 'pusher:pong', data: '{}' };
  assert.deepEqual(socket.take(), [pong, pong], 'pings depend on nothing: answered while the first is pending');
  assert.equal(gates.length, 1, 'the second extension event waits for the first');
  gates[0].open();
  await new Promise((r) => setImmediate(r));
  assert.equal(gates.length, 2);
  gates[1].fail(new PusherError('refused', 4301));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(socket.take(), [error('refused', 4301)]);
});

test('while one message waits, its own failure and a frame that cannot be decoded are both reported', async () => {
  const { hub, connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  let fail = (_e: Error) => {};
  hub.extension = {
    handle: (_c, msg) => (msg.event === 'pusher:wait' ? new Promise<void>((_ok, no) => (fail = no)) : undefined),
  };
  send(conn, { event: 'pusher:wait', data: {} });
  send(conn, 'not json');
  assert.deepEqual(socket.take(), [error('Invalid JSON: message must be a JSON object', null)]);
  fail(new PusherError('refused', 4301));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(socket.take(), [error('refused', 4301)]);
});

test('more than 100 messages waiting behind a pending one: 4100', async () => {
  const { hub, connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  const opens: Array<() => void> = [];
  hub.extension = {
    handle: (_c, msg) => (msg.event === 'pusher:wait' ? new Promise<void>((r) => opens.push(r)) : undefined),
  };
  send(conn, { event: 'pusher:wait', data: {} });
  for (let i = 0; i < 100; i++) send(conn, { event: 'pusher:wait', data: {} });
  assert.equal(socket.closedWith, undefined, '100 waiting are allowed');
  send(conn, { event: 'pusher:wait', data: {} });
  assert.deepEqual(socket.closedWith, { code: 4100, reason: 'Too many messages in flight' });
  opens[0]();
  await new Promise((r) => setImmediate(r));
});

test('a closed connection: its messages are ignored and not counted', () => {
  const { hub, connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  hub.closed(conn);
  send(conn, { event: 'pusher:ping', data: {} });
  assert.deepEqual(socket.take(), []);
  assert.equal(conn.traffic.messagesIn, 0);
  assert.equal(hub.connections, 0);
});

test('sweep: a ping after activityTimeout of silence, 4201 after pongTimeout without an answer', () => {
  const { hub, connect, send } = kit();
  const { conn, socket } = connect();
  socket.take();
  const t0 = conn.lastSeen;
  hub.sweep(t0 + 119_999);
  assert.deepEqual(socket.take(), []);
  hub.sweep(t0 + 120_000);
  assert.deepEqual(socket.take(), [{ event: 'pusher:ping', data: '{}' }]);
  assert.equal(conn.pingSentAt, t0 + 120_000);
  hub.sweep(t0 + 149_999);
  assert.deepEqual(socket.take(), [], 'no second ping while waiting');
  hub.sweep(t0 + 150_000);
  assert.deepEqual(socket.take(), [error('Pong reply not received', 4201)]);
  assert.deepEqual(socket.closedWith, { code: 4201, reason: 'Pong reply not received' });

  // Any message, or a WebSocket-level frame (touch), answers the ping.
  const b = connect();
  hub.sweep(b.conn.lastSeen + 120_000);
  assert.ok(b.conn.pingSentAt > 0);
  send(b.conn, { event: 'pusher:pong', data: {} });
  assert.equal(b.conn.pingSentAt, 0);
  hub.sweep(b.conn.lastSeen + 119_999);
  assert.equal(b.conn.pingSentAt, 0, 'silence is counted from the answer');
  hub.sweep(b.conn.lastSeen + 120_000);
  assert.ok(b.conn.pingSentAt > 0);
  hub.touch(b.conn);
  assert.equal(b.conn.pingSentAt, 0);
  assert.equal(b.socket.closedWith, undefined);
});

test('sweep: with userAuthentication, a socket not signed in within the timeout gets 4009', () => {
  const app = makeApp({ userAuthentication: true, userAuthenticationTimeout: 30 });
  const { hub, connect, send } = kit([app]);
  const anon = connect(app);
  const signed = connect(app);
  const userData = '{"id":"u1"}';
  send(signed.conn, {
    event: 'pusher:signin',
    data: { user_data: userData, auth: userAuth(app.key, app.secret, signed.conn.id, userData) },
  });
  assert.equal(signed.conn.user?.id, 'u1');
  anon.socket.take();
  const t0 = Math.max(anon.conn.connectedAt, signed.conn.connectedAt);
  hub.sweep(t0 + 29_999);
  assert.deepEqual(anon.socket.take(), []);
  hub.sweep(anon.conn.connectedAt + 30_000);
  const message = 'Connection not signed in within the time allowed';
  assert.deepEqual(anon.socket.take(), [error(message, 4009)]);
  assert.deepEqual(anon.socket.closedWith, { code: 4009, reason: message });
  hub.sweep(signed.conn.connectedAt + 30_000);
  assert.equal(signed.socket.closedWith, undefined);

  const relaxed = makeApp({ userAuthentication: false }, '2');
  const other = kit([relaxed]);
  const c = other.connect(relaxed);
  other.hub.sweep(c.conn.connectedAt + 60_000);
  assert.equal(c.socket.closedWith, undefined);
});

test('deliver: every subscriber but the excepted one, counted in the app traffic', () => {
  const { hub, connect, join } = kit();
  const a = connect();
  const b = connect();
  const outsider = connect();
  join(a, 'news');
  join(b, 'news');
  outsider.socket.take();
  const frame = Buffer.from('{"event":"e","channel":"news","data":"1"}');
  assert.equal(hub.deliver('1', 'news', frame), 2);
  assert.equal(hub.deliver('1', 'news', frame, a.conn.id), 1);
  assert.deepEqual(a.socket.frames, [frame.toString()]);
  assert.deepEqual(b.socket.frames, [frame.toString(), frame.toString()]);
  assert.deepEqual(outsider.socket.frames, []);
  const traffic = hub.states.get('1')!.traffic;
  assert.equal(traffic.messagesOut, 3);
  assert.equal(traffic.bytesOut, 3 * frame.length);
  assert.equal(hub.deliver('1', 'other', frame), 0);
  assert.equal(hub.deliver('nope', 'news', frame), 0);
});
