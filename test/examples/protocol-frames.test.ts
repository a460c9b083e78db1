// The frames docs/protocol.md shows are the frames a server sends: this replays the page's story on
// a real server with raw WebSocket clients, sends the documented requests as written, and finds
// every documented server frame among those received (socket ids, mids and timestamps masked).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { appsFileEnv } from '../helpers/pusher-js.ts';
import { RawClient, type Frame } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { sdk } from '../client/util.ts';

/** Frames a client sends; the test sends these as the page writes them. */
const SENT = new Set(['pusher:latest']);

function documentedFrames(): string[] {
  const text = readFileSync('docs/protocol.md', 'utf8');
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n').filter((l) => l.trim()));
}

/** Hides what varies from one connection or event to the next, wherever it is nested. */
const mask = (frame: string) =>
  frame
    .replace(/(socket_id\\*":\\*")\d+\.\d+/g, '$1SOCKET')
    .replace(/(\\*"mid\\*":\\*")[0-9a-z]+/g, '$1MID')
    .replace(/(\\*"timestamp\\*":)\d+/g, '$1TIME')
    .replace(/(\\*"epoch\\*":\\*")[0-9a-f]+/g, '$1EPOCH');

let ts: TestServer;
let stored: TestServer;
const clients: RawClient[] = [];

before(async () => {
  ts = await startServer({ env: appsFileEnv({ clientEvents: true, subscriptionCount: true }) });
  stored = await startServer({ env: appsFileEnv({ persist: true, historyCount: 2 }) });
});

after(async () => {
  for (const c of clients) c.close();
  await ts?.close();
  await stored?.close();
});

async function connect(server: TestServer): Promise<RawClient & { socketId: string }> {
  const c = await RawClient.established(server.wsUrl());
  clients.push(c);
  return c;
}

const is = (event: string, channel?: string) => (f: Frame) =>
  f.event === event && (channel === undefined || f.channel === channel);

test('every frame docs/protocol.md shows is one the server sends', async () => {
  const frames = documentedFrames();
  const sent = frames.filter((f) => SENT.has(JSON.parse(f).event));
  const api = sdk(ts);

  // A public channel, a stored event, its history, a refused subscription.
  const a = await connect(ts);
  await a.subscribe('news');
  await api.triggerEvent({ channel: 'news', event: 'created', data: { id: 1 }, persist: true });
  await a.waitFor(is('created', 'news'));
  for (const request of sent) a.send(request);
  await a.waitFor(is('pusher_internal:latest', 'news'));
  await a.subscribe('private-orders', `${ts.app.key}:${'0'.repeat(64)}`);

  // A client comes back after missing an event, and one whose position is gone.
  const last = await a.waitFor(is('created', 'news'));
  await api.triggerEvent({ channel: 'news', event: 'missed', data: { n: 2 } });
  const back = await connect(ts);
  back.send({
    event: 'pusher:subscribe',
    data: { channel: 'news', recover: { epoch: last.epoch, offset: last.offset } },
  });
  await back.waitFor(is('pusher_internal:subscription_succeeded', 'news'));
  const lost = await connect(ts);
  lost.send({ event: 'pusher:subscribe', data: { channel: 'news', recover: { epoch: last.epoch, offset: 99 } } });
  await lost.waitFor(is('pusher_internal:subscription_succeeded', 'news'));

  // A personal channel and the follows added and removed while it is open.
  await api.subscribe({ userId: 'alice', event: 'news' });
  const p = await connect(ts);
  await p.subscribe('personal-alice', api.authorizeChannel(p.socketId, 'personal-alice').auth);
  await api.subscribe({ userId: 'alice', event: 'sports' });
  await p.waitFor(is('pusher_internal:alias_added'));
  await api.unsubscribe({ userId: 'alice', event: 'sports' });
  await p.waitFor(is('pusher_internal:alias_removed'));

  // Presence members asking for peer channels; bob leaves.
  const member = async (id: string) => {
    const c = await connect(ts);
    const auth = api.authorizeChannel(c.socketId, 'presence-chat', {
      user_id: id,
      user_info: { name: id },
      peer: true,
    });
    await c.subscribe('presence-chat', auth.auth, auth.channel_data);
    return c;
  };
  const alice = await member('alice');
  const bob = await member('bob');
  await alice.waitFor(is('pusher_internal:subscription_succeeded', 'peer-chat:alice&bob'));
  bob.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-chat' } });
  await alice.waitFor(is('pusher_internal:member_removed', 'presence-chat'));

  // A cache channel with nothing cached yet.
  const c = await connect(ts);
  await c.subscribe('cache-prices');
  await c.waitFor(is('pusher:cache_miss', 'cache-prices'));

  // Sign-in with a watchlist; dave comes and goes.
  const carol = await connect(ts);
  carol.send({
    event: 'pusher:signin',
    data: api.authenticateUser(carol.socketId, { id: 'carol', watchlist: ['dave'] }),
  });
  await carol.waitFor(is('pusher:signin_success'));
  const dave = await connect(ts);
  dave.send({ event: 'pusher:signin', data: api.authenticateUser(dave.socketId, { id: 'dave' }) });
  await carol.waitFor((f) => f.event === 'pusher_internal:watchlist_events' && String(f.data).includes('online'));
  dave.close();
  await carol.waitFor((f) => f.event === 'pusher_internal:watchlist_events' && String(f.data).includes('offline'));

  // An app that stores every event: history on subscribe.
  await sdk(stored).triggerEvent({ channel: 'orders', event: 'created', data: { id: 1 } });
  const o = await connect(stored);
  await o.subscribe('orders');

  const received = new Set(clients.flatMap((k) => k.raw).map(mask));
  const missing = frames.filter((f) => !SENT.has(JSON.parse(f).event) && !received.has(mask(f)));
  assert.deepEqual(missing, [], `frames the server sent:\n${[...received].join('\n')}`);
  assert.ok(frames.length >= 15 && sent.length === 1, 'the page shows the frames this test replays');
});
