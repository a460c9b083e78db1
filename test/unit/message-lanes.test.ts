// The order of one connection's messages while some wait (src/hub/message-lanes.ts): which ones go
// ahead of a waiting message and which wait behind it. Messages that "wait" here are the ones the
// test names; each is released by hand, and `ran` records the order the hub was given them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageLanes } from '../../src/hub/message-lanes.ts';
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
  return { conn, ran, slow, release, start, send, idle: () => idle };
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
