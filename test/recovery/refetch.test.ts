// Past the recovery window on an app that stores its events, recovery_failed says where the client
// was (`since`: the mid of the last stored event it received), and the stored events after it are
// exactly what it missed: through latest({ since }) for the Pushi client, and for a pusher-js app with
// pushi/pusher-js through its back end (the server SDK's latest, GET …/events?since=).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { TcpProxy } from '../hardening/fault-kit.ts';
import { appsFileEnv, createPusher, disconnectAll, subscribed, waitUntil } from '../helpers/pusher-js.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import { client as pushiClient, connected, next, sdk } from '../client/util.ts';
import { recover } from '../../src/pusher-js/index.ts';

let s: TestServer | undefined;
let proxy: TcpProxy | undefined;
after(async () => {
  disconnectAll();
  await proxy?.down();
  await s?.close();
});

test('recovery_failed carries since, and the stored events after it are the ones missed', async () => {
  // Two events of history per channel: the five missed below cannot be replayed.
  s = await startServer({ env: appsFileEnv({ persist: true, recoveryMaxEvents: 2 }) });
  proxy = new TcpProxy('127.0.0.1', s.wsPort);
  await proxy.up();
  const pushi = pushiClient({ wsPort: proxy.port });
  const pusher = createPusher(s, {}, { wsPort: proxy.port });
  const tracking = recover(pusher);
  try {
    await connected(pushi);
    const ch = pushi.subscribe('feed');
    await next(ch, 'subscribe');
    const pch = await subscribed(pusher, 'feed');
    const pusherGot: string[] = [];
    pch.bind_global((event: string) => void (event.startsWith('e') && pusherGot.push(event)));
    const firstMid = new Promise<string>((resolve) => ch.bind('e1', (_e, _d, meta) => resolve(meta.mid!)));
    assert.equal((await trigger(s.httpUrl, { name: 'e1', channel: 'feed', data: '1' })).status, 200);
    const mid = await firstMid;
    await waitUntil(() => pusherGot.includes('e1'), 'pusher-js got e1');

    const failed = {
      pushi: next(pushi, 'recovery_failed', 30_000).then(([d]) => d as { channel: string; since?: string }),
      pusher: new Promise<{ channel: string; since?: string }>((resolve) => tracking.bind('recovery_failed', resolve)),
    };
    await proxy.down();
    for (let i = 2; i <= 6; i++) {
      assert.equal((await trigger(s.httpUrl, { name: `e${i}`, channel: 'feed', data: String(i) })).status, 200);
    }
    await proxy.up();

    const missed = ['e2', 'e3', 'e4', 'e5', 'e6'];
    const fromPushi = await failed.pushi;
    assert.deepEqual(fromPushi, { channel: 'feed', since: mid });
    const page = await pushi.latest('feed', { since: fromPushi.since! }, 10);
    assert.deepEqual(
      page.events.map((e) => e.event),
      missed,
    );

    const fromPusher = await failed.pusher;
    assert.deepEqual(fromPusher, { channel: 'feed', since: mid });
    // The app's back end pages the same with the server SDK (GET …/events?since=).
    const stored = await sdk(s).latest('feed', { since: fromPusher.since! });
    assert.deepEqual(
      stored.events.map((e) => e.event),
      missed,
    );
  } finally {
    pushi.disconnect();
  }
});
