// A stored event's `data` reaches the client's code in the shape the live event had: on
// subscribe (a persisting app's channel, a personal channel) and from latest(), for triggers and
// for client events with object data alike.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Pushi } from '../../src/client/index.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { client, next, sdk, waitFor } from '../client/util.ts';

let ts: TestServer;
const clients: Pushi[] = [];
const open = (...args: Parameters<typeof client>) => {
  const p = client(...args);
  clients.push(p);
  return p;
};
const authorizer = ({ socketId, channelName }: { socketId: string; channelName: string }) =>
  sdk(ts).authorizeChannel(socketId, channelName);

before(async () => (ts = await startServer({ env: { PUSHI_APP_PERSIST: '1', PUSHI_APP_CLIENT_EVENTS: '1' } })));
after(async () => {
  for (const p of clients) p.disconnect();
  await ts.close();
});

/** Collects what the live listeners of `event` on `channel` get, in arrival order. */
async function liveData(channel: string, event: string, count: number, send: () => Promise<void>): Promise<unknown[]> {
  const watcher = open(ts, { authorizer });
  const ch = watcher.subscribe(channel);
  await next(ch, 'subscribe');
  const got: unknown[] = [];
  ch.bind(event, (_e, data) => got.push(data));
  await send();
  await waitFor(`${count} live ${event} events`, () => got.length === count);
  return got;
}

test('triggered events: subscribe, personal subscribe and latest() give the live shape', async () => {
  const api = sdk(ts);
  await api.subscribe({ userId: 'sam', event: 'feed' });
  const live = await liveData('feed', 'post', 3, async () => {
    await api.triggerEvent({ channel: 'feed', event: 'post', data: { n: 1 } });
    await api.triggerEvent({ channel: 'feed', event: 'post', data: 'plain text' });
    await api.triggerEvent({ channel: 'feed', event: 'post', data: '[1,2]' });
  });
  assert.deepEqual(live, [{ n: 1 }, 'plain text', [1, 2]]);
  const newestFirst = [...live].reverse();

  const p = open(ts, { authorizer });
  const feed = p.subscribe('feed');
  const [subscribed] = await next(feed, 'subscribe');
  assert.deepEqual(
    subscribed.events.map((e: { data: unknown }) => e.data),
    newestFirst,
  );
  const personal = p.subscribe('personal-sam');
  const [personalData] = await next(personal, 'subscribe');
  assert.deepEqual(
    personalData.events.map((e: { data: unknown }) => e.data),
    newestFirst,
  );
  const latest = await p.latest('personal-sam');
  assert.deepEqual(
    latest.events.map((e) => e.data),
    newestFirst,
  );
  assert.deepEqual(
    (await feed.latest()).events.map((e) => e.data),
    newestFirst,
  );
});

test('client events with object data: the stored copy comes back as the object', async () => {
  const sender = open(ts, { authorizer });
  const room = sender.subscribe('private-room');
  await next(room, 'subscribe');
  const live = await liveData('private-room', 'client-note', 1, async () => {
    assert.equal(room.send('client-note', { c: 2, text: 'hi' }), true);
  });
  assert.deepEqual(live, [{ c: 2, text: 'hi' }]);
  const late = open(ts, { authorizer });
  const ch = late.subscribe('private-room');
  const [subscribed] = await next(ch, 'subscribe');
  assert.deepEqual(subscribed.events[0].data, { c: 2, text: 'hi' });
  assert.deepEqual(ch.data.events[0].data, { c: 2, text: 'hi' }, 'channel.data holds the same');
  assert.deepEqual((await ch.latest()).events[0].data, { c: 2, text: 'hi' });
});
