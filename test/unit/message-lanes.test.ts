// The order of one connection's messages while some wait (src/hub/message-lanes.ts): which ones go
// ahead of a waiting message and which wait behind it. Messages that "wait" here are the ones the
// test names; each is released by hand, and `ran` records the order the hub was given them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { laneOf, MessageLanes } from '../../src/hub/message-lanes.ts';
import type { Connection } from '../../src/hub/connection.ts';
import type { InboundMessage } from '../../src/protocol/messages.ts';

function harness(maxChannelsPerConnection = 0) {
  const conn = {
    closed: false,
    channels: new Map<string, unknown>(),
    app: { options: { maxChannelsPerConnection } },
  } as unknown as Connection;
  const ran: string[] = [];
  const waiting = new Map<string, () => void>();
  let idle = 0;
  const label = (m: InboundMessage) => {
    const data = m.data as { channel?: string } | undefined;
    return `${m.event} ${m.channel ?? data?.channel ?? ''}`.trim();
  };
  /** Messages whose label is in `slow` wait until released. */
  const slow = new Set<string>();
  const lanes = new MessageLanes(conn, {
    attempt: (_c, m) => {
      const name = label(m);
      ran.push(name);
      if (!slow.has(name)) return undefined;
      slow.delete(name);
      return new Promise<void>((resolve) => waiting.set(name, resolve));
    },
    fail: (_c, err) => assert.fail(String(err)),
    idle: () => idle++,
  });
  const msg = (event: string, channel?: string): InboundMessage => {
    const text = event.startsWith('client-')
      ? JSON.stringify({ event, channel, data: {} })
      : JSON.stringify({ event, data: channel === undefined ? {} : { channel } });
    return { ...(JSON.parse(text) as InboundMessage), text };
  };
  const release = async (name: string) => {
    waiting.get(name)!();
    waiting.delete(name);
    await new Promise((resolve) => setImmediate(resolve));
  };
  /** Starts `first` as the hub does (it ran on the direct path and went on asynchronously). */
  const start = (event: string, channel?: string) => {
    const m = msg(event, channel);
    ran.push(label(m));
    lanes.started(m, new Promise<void>((resolve) => waiting.set(label(m), resolve)));
  };
  const send = (event: string, channel?: string) => lanes.arrive(msg(event, channel).text);
  return { conn, lanes, msg, ran, slow, release, start, send, idle: () => idle };
}

test('a waiting subscribe holds its own channel, not pings or other channels', async () => {
  const h = harness();
  h.start('pusher:subscribe', 'a');
  h.send('pusher:ping');
  h.send('pusher:subscribe', 'b');
  h.send('client-x', 'a');
  h.send('pusher:unsubscribe', 'c');
  h.send('client-y', 'b');
  h.send('pusher:unsubscribe', 'a');
  assert.deepEqual(h.ran, [
    'pusher:subscribe a',
    'pusher:ping',
    'pusher:subscribe b',
    'pusher:unsubscribe c',
    'client-y b',
  ]);
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran.slice(5), ['client-x a', 'pusher:unsubscribe a']);
  assert.equal(h.idle(), 1);
});

test('a message that waits behind its channel keeps holding the rest of that channel', async () => {
  const h = harness();
  h.start('pusher:subscribe', 'a');
  h.slow.add('client-x a');
  h.send('client-x', 'a');
  h.send('client-z', 'a');
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran, ['pusher:subscribe a', 'client-x a']);
  h.send('pusher:subscribe', 'b');
  assert.deepEqual(h.ran.slice(2), ['pusher:subscribe b']);
  await h.release('client-x a');
  assert.deepEqual(h.ran.slice(3), ['client-z a']);
  assert.equal(h.idle(), 1);
});

test('sign-in, personal channels and unknown events wait for everything before and hold everything after', async () => {
  const h = harness();
  h.start('pusher:subscribe', 'a');
  h.send('pusher:subscribe', 'b');
  h.send('pusher:signin');
  h.send('pusher:subscribe', 'c');
  h.send('pusher:ping');
  h.send('pusher:subscribe', 'personal-u');
  assert.deepEqual(h.ran, ['pusher:subscribe a', 'pusher:subscribe b', 'pusher:ping']);
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran.slice(3), ['pusher:signin', 'pusher:subscribe c', 'pusher:subscribe personal-u']);

  const g = harness();
  g.start('pusher:latest', 'a');
  g.send('pusher:subscribe', 'b');
  g.send('pusher:ping');
  assert.deepEqual(g.ran, ['pusher:latest a', 'pusher:ping']);
  await g.release('pusher:latest a');
  assert.deepEqual(g.ran.slice(2), ['pusher:subscribe b']);
});

test("a peer channel's messages wait for its presence channel", async () => {
  const h = harness();
  h.start('pusher:subscribe', 'presence-room');
  h.send('client-hi', 'peer-room:alice&bob');
  h.send('client-hi', 'peer-other:alice&bob');
  assert.deepEqual(h.ran, ['pusher:subscribe presence-room', 'client-hi peer-other:alice&bob']);
  await h.release('pusher:subscribe presence-room');
  assert.deepEqual(h.ran.slice(2), ['client-hi peer-room:alice&bob']);
});

test('with a channel cap, a subscribe that joins in flight could pass waits for them', async () => {
  const h = harness(2);
  h.start('pusher:subscribe', 'a');
  h.slow.add('pusher:subscribe b');
  h.send('pusher:subscribe', 'b'); // 0 joined + 1 in flight < 2: goes ahead
  assert.deepEqual(h.ran, ['pusher:subscribe a', 'pusher:subscribe b']);
  h.send('pusher:subscribe', 'c'); // 0 joined + 2 in flight: waits, then is counted exactly
  h.send('pusher:ping');
  assert.deepEqual(h.ran.slice(2), ['pusher:ping']);
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran.slice(3), []);
  await h.release('pusher:subscribe b');
  assert.deepEqual(h.ran.slice(3), ['pusher:subscribe c']);
});

test('a closed connection drops what was waiting', async () => {
  const h = harness();
  h.start('pusher:subscribe', 'a');
  h.send('client-x', 'a');
  (h.conn as { closed: boolean }).closed = true;
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran, ['pusher:subscribe a']);
  assert.equal(h.idle(), 1);
});

test('laneOf: the lane of each kind of message', () => {
  const { conn, msg } = harness();
  const raw = (o: object): InboundMessage => ({ ...(o as InboundMessage), text: JSON.stringify(o) });
  assert.equal(laneOf(conn, msg('pusher:ping'), 0), null);
  assert.equal(laneOf(conn, msg('pusher:pong'), 0), null);
  assert.equal(laneOf(conn, msg('pusher:subscribe', 'a'), 0), 'a');
  assert.equal(laneOf(conn, msg('pusher:unsubscribe', 'a'), 0), 'a');
  assert.equal(laneOf(conn, msg('client-x', 'b'), 0), 'b');
  // Anything that does not name one channel is ordered against everything.
  assert.equal(laneOf(conn, raw({ event: 'pusher:subscribe', data: null }), 0), '');
  assert.equal(laneOf(conn, raw({ event: 'pusher:subscribe', data: { channel: 7 } }), 0), '');
  assert.equal(laneOf(conn, raw({ event: 'pusher:subscribe', data: { channel: '' } }), 0), '');
  assert.equal(laneOf(conn, raw({ event: 'client-x', data: {} }), 0), '');
  assert.equal(laneOf(conn, msg('pusher:signin'), 0), '');
  assert.equal(laneOf(conn, msg('pusher:latest', 'a'), 0), '');
  assert.equal(laneOf(conn, msg('pusher:subscribe', 'personal-alice'), 0), '');
  assert.equal(laneOf(conn, msg('client-x', 'personal-alice'), 0), '');
  // A peer channel goes with the presence channel that joins and leaves it; a malformed one alone.
  assert.equal(laneOf(conn, msg('client-x', 'peer-chat:alice&bob'), 0), 'presence-chat');
  assert.equal(laneOf(conn, msg('client-x', 'peer-chat'), 0), 'peer-chat');
});

test('laneOf: at the channel cap only a subscribe to a new channel is ordered against everything', () => {
  const { conn, msg } = harness(3);
  conn.channels.set('joined', {} as never);
  assert.equal(laneOf(conn, msg('pusher:subscribe', 'new'), 1), 'new', '1 joined + 1 in flight < 3');
  assert.equal(laneOf(conn, msg('pusher:subscribe', 'new'), 2), '', '1 joined + 2 in flight may reach 3');
  assert.equal(laneOf(conn, msg('pusher:subscribe', 'joined'), 2), 'joined', 'already joined: no new slot');
  assert.equal(laneOf(conn, msg('pusher:unsubscribe', 'new'), 2), 'new');
  assert.equal(laneOf(conn, msg('client-x', 'new'), 2), 'new');
  const uncapped = harness(0);
  assert.equal(laneOf(uncapped.conn, uncapped.msg('pusher:subscribe', 'new'), 99), 'new');
});

test('queued counts the messages waiting, in lanes and held, and falls back to 0', async () => {
  const h = harness();
  h.slow.add('pusher:subscribe b');
  h.start('pusher:subscribe', 'a');
  h.send('client-x', 'a');
  h.send('client-y', 'a');
  assert.equal(h.lanes.queued, 2);
  h.send('pusher:subscribe', 'b'); // runs, and waits: a second lane
  h.send('client-z', 'b');
  assert.equal(h.lanes.queued, 3);
  h.send('pusher:signin'); // held until both lanes are done
  h.send('client-w', 'c'); // behind the held one
  assert.equal(h.lanes.queued, 5);
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran.slice(2), ['client-x a', 'client-y a']);
  assert.equal(h.lanes.queued, 3, 'the held two and client-z');
  await h.release('pusher:subscribe b');
  assert.deepEqual(h.ran.slice(4), ['client-z b', 'pusher:signin', 'client-w c']);
  assert.equal(h.lanes.queued, 0);
  assert.equal(h.idle(), 1);
});

test('a lane whose next message waits again keeps the rest behind it, counted', async () => {
  const h = harness();
  h.slow.add('pusher:unsubscribe a');
  h.start('pusher:subscribe', 'a');
  h.send('pusher:unsubscribe', 'a');
  h.send('client-x', 'a');
  h.send('client-y', 'a');
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran, ['pusher:subscribe a', 'pusher:unsubscribe a']);
  assert.equal(h.lanes.queued, 2);
  await h.release('pusher:unsubscribe a');
  assert.deepEqual(h.ran.slice(2), ['client-x a', 'client-y a']);
  assert.equal(h.lanes.queued, 0);
});

test('a closed connection forgets what was held for all lanes', async () => {
  const h = harness();
  h.start('pusher:subscribe', 'a');
  h.send('pusher:signin');
  h.send('client-x', 'b');
  assert.equal(h.lanes.queued, 2);
  (h.conn as { closed: boolean }).closed = true;
  await h.release('pusher:subscribe a');
  assert.deepEqual(h.ran, ['pusher:subscribe a']);
  assert.equal(h.lanes.queued, 0);
});

test('an event other than a client event is ordered against everything even if it names a channel', () => {
  const { conn } = harness();
  const text = JSON.stringify({ event: 'pusher:latest', channel: 'a', data: { channel: 'a' } });
  assert.equal(laneOf(conn, { ...(JSON.parse(text) as InboundMessage), text }, 0), '');
});

test('after a message ordered against everything, what waited behind it finds its own lane again', async () => {
  const h = harness();
  h.slow.add('pusher:subscribe a');
  h.start('pusher:signin');
  h.send('pusher:subscribe', 'a');
  h.send('pusher:subscribe', 'b');
  assert.deepEqual(h.ran, ['pusher:signin']);
  await h.release('pusher:signin');
  // a waits on its lane; b is on another and does not wait for it.
  assert.deepEqual(h.ran, ['pusher:signin', 'pusher:subscribe a', 'pusher:subscribe b']);
  await h.release('pusher:subscribe a');
  assert.equal(h.lanes.queued, 0);
});
