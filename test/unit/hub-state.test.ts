// The hub's bookkeeping on exact values: a connection's writes and errors (src/hub/connection.ts),
// an app's channels, fan-out and cache (app-state.ts), a channel's member frames (channel.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppState, Traffic } from '../../src/hub/app-state.ts';
import { Channel } from '../../src/hub/channel.ts';
import { Connection } from '../../src/hub/connection.ts';
import { PusherError, subscriptionError } from '../../src/protocol/errors.ts';
import { makeApp, RecordingSocket } from './hub-kit.ts';

function connection(id = '1.1', maxBufferedBytes = 100) {
  const socket = new RecordingSocket();
  const conn = new Connection(id, makeApp(), socket, maxBufferedBytes, 5000, new Traffic());
  return { conn, socket };
}

test('Connection: starts seen at its creation time, nothing joined', () => {
  const { conn } = connection();
  assert.equal(conn.lastSeen, 5000);
  assert.equal(conn.connectedAt, 5000);
  assert.equal(conn.pingSentAt, 0);
  assert.equal(conn.closed, false);
  assert.equal(conn.channels.size, 0);
});

test('Connection.write: a client whose queue passes the bound is cut off with 4100, queue dropped', () => {
  const { conn, socket } = connection('1.1', 100);
  socket.queued = 100; // at the bound: still reading
  conn.write('a');
  assert.equal(socket.closedWith, undefined);
  assert.equal(conn.closed, false);
  socket.queued = 101;
  conn.write('b');
  assert.deepEqual(socket.closedWith, { code: 4100, reason: 'Slow consumer: send buffer full', dropQueued: true });
  assert.equal(conn.closed, true);
  conn.write('c');
  assert.deepEqual(socket.frames, ['a', 'b'], 'nothing written once closed');
});

test('Connection.sendError: a channel error is a subscription_error, then pusher:error', () => {
  const { conn, socket } = connection();
  conn.sendError(subscriptionError('private-x', null, 'bad auth'));
  conn.sendError(subscriptionError('presence-x', 4100, 'full'));
  assert.deepEqual(socket.take(), [
    {
      event: 'pusher:subscription_error',
      channel: 'private-x',
      data: JSON.stringify({ type: 'AuthError', error: 'bad auth', status: 401 }),
    },
    { event: 'pusher:error', data: JSON.stringify({ message: 'bad auth', code: null }) },
    {
      event: 'pusher:subscription_error',
      channel: 'presence-x',
      data: JSON.stringify({ type: 'SubscriptionError', error: 'full', status: 4100 }),
    },
    { event: 'pusher:error', data: JSON.stringify({ message: 'full', code: 4100 }) },
  ]);
  assert.equal(socket.closedWith, undefined);
});

test('Connection.sendError: a fatal error closes with its code; one without a code does not close', () => {
  const a = connection();
  a.conn.sendError(new PusherError('no code', null, true));
  assert.equal(a.socket.closedWith, undefined);
  a.conn.sendError(new PusherError('bye', 4009, true));
  assert.deepEqual(a.socket.take(), [
    { event: 'pusher:error', data: JSON.stringify({ message: 'no code', code: null }) },
    { event: 'pusher:error', data: JSON.stringify({ message: 'bye', code: 4009 }) },
  ]);
  assert.deepEqual(a.socket.closedWith, { code: 4009, reason: 'bye' });
  assert.equal(a.conn.closed, true);
});

test('Connection.close: once, with the reason cut to 120 characters', () => {
  const { conn, socket } = connection();
  conn.closeWithError(4200, 'r'.repeat(130));
  assert.deepEqual(socket.take(), [
    { event: 'pusher:error', data: JSON.stringify({ message: 'r'.repeat(130), code: 4200 }) },
  ]);
  assert.deepEqual(socket.closedWith, { code: 4200, reason: 'r'.repeat(120) });
  conn.close(4009, 'again');
  assert.deepEqual(socket.closedWith, { code: 4200, reason: 'r'.repeat(120) });
});

test('AppState: channels created on first use, dropped only when empty', () => {
  const state = new AppState(makeApp());
  assert.equal(state.channel('news'), undefined);
  const ch = state.ensureChannel('news');
  assert.equal(state.ensureChannel('news'), ch);
  assert.equal(state.channel('news'), ch);
  const { conn } = connection();
  ch.subscribers.add(conn);
  assert.equal(state.dropIfEmpty(ch), false);
  assert.equal(state.channel('news'), ch);
  ch.subscribers.delete(conn);
  assert.equal(state.dropIfEmpty(ch), true);
  assert.equal(state.channel('news'), undefined);
});

test('AppState.fanOut: the same frame to every subscriber but one, counted', () => {
  const state = new AppState(makeApp());
  const ch = state.ensureChannel('news');
  const a = connection('1.1');
  const b = connection('1.2');
  ch.subscribers.add(a.conn).add(b.conn);
  const frame = Buffer.from('{"event":"e"}');
  assert.equal(state.fanOut('news', frame), 2);
  assert.equal(state.fanOut('news', frame, '1.1'), 1);
  assert.equal(state.fanOut('other', frame), 0);
  assert.deepEqual(a.socket.frames, ['{"event":"e"}']);
  assert.deepEqual(b.socket.frames, ['{"event":"e"}', '{"event":"e"}']);
});

test('AppState cache: the later-expiring event is kept; an expired one is gone at its expiry', () => {
  const state = new AppState(makeApp());
  const event = (name: string, expiresAt: number) => ({ frame: Buffer.from(name), event: name, data: '', expiresAt });
  state.remember('cache-a', event('first', 2000));
  state.remember('cache-a', event('older', 1999));
  assert.equal(state.cached('cache-a', 0)?.event, 'first');
  state.remember('cache-a', event('same', 2000));
  assert.equal(state.cached('cache-a', 0)?.event, 'same');
  assert.equal(state.cached('cache-a', 1999)?.event, 'same');
  assert.equal(state.cached('cache-a', 2000), undefined);
  assert.equal(state.cache.has('cache-a'), false, 'dropped, not only hidden');
  state.remember('cache-a', event('new', 1000));
  assert.equal(state.cached('cache-a', 999)?.event, 'new');
  assert.equal(state.cached('cache-b', 0), undefined);
});

test('Channel: rules from its name, member frames exact, presence data from its members', () => {
  const room = new Channel('presence-room');
  assert.equal(room.presence, true);
  assert.equal(new Channel('private-room').presence, false);
  assert.equal(room.countSent, -1);
  assert.equal(room.countSentAt, 0);
  assert.equal(
    room.memberEvent('u1', true, { n: 1 }),
    '{"event":"pusher_internal:member_added","channel":"presence-room","data":"{\\"user_id\\":\\"u1\\",\\"user_info\\":{\\"n\\":1}}"}',
  );
  assert.equal(JSON.parse(JSON.parse(room.memberEvent('u1', true, undefined)).data).user_info.constructor, Object);
  assert.deepEqual(JSON.parse(room.memberEvent('u1', true, null)).data, '{"user_id":"u1","user_info":{}}');
  assert.equal(
    room.memberEvent('u1', false, { n: 1 }),
    '{"event":"pusher_internal:member_removed","channel":"presence-room","data":"{\\"user_id\\":\\"u1\\"}"}',
  );
  assert.deepEqual(room.presenceData(), { presence: { ids: [], hash: {}, count: 0 } });
  room.members.set('u1', { info: { n: 1 }, connections: new Set(), peer: false });
  room.members.set('u2', { info: undefined, connections: new Set(), peer: false });
  assert.deepEqual(room.presenceData(), { presence: { ids: ['u1', 'u2'], hash: { u1: { n: 1 }, u2: {} }, count: 2 } });
});
