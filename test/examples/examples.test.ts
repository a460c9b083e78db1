// Every Node example in examples/ run as a reader would run it, against a real server on ephemeral
// ports: the events the docs promise must arrive where the examples print them.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.ts';
import { sdk } from '../client/util.ts';
import { assertBuilt, exampleEnv, runExample, stopAll } from './run-example.ts';

let ts: TestServer;
let env: Record<string, string>;

before(async () => {
  assertBuilt();
  ts = await startServer(); // the test app, client events on (peer channels carry client events)
  const auth = runExample('examples/auth-server.mjs', exampleEnv(ts, { PORT: '0' }));
  const url = (await auth.line(/^auth endpoint at /)).split(' ').pop()!;
  env = exampleEnv(ts, { AUTH_URL: url });
});

after(async () => {
  stopAll();
  await ts?.close();
});

test('the official pusher SDK example triggers an event a subscriber receives', async () => {
  const echo = runExample('examples/laravel-echo.mjs', env);
  await waitSubscribed('news', 1);
  const trigger = runExample('examples/pusher-sdk-trigger.mjs', env);
  assert.equal(await trigger.exited, 0);
  assert.equal(await echo.line(/^news /), 'news {"text":"hi"}');
  echo.stop();
  await echo.exited;
  await waitSubscribed('news', 0);
});

test('Laravel Echo: a public channel, and a private one signed by the auth endpoint example', async () => {
  const echo = runExample('examples/laravel-echo.mjs', env);
  await waitSubscribed('private-orders', 1);
  await waitSubscribed('news', 1);
  await sdk(ts).triggerEvent({ channel: 'private-orders', event: 'created', data: { id: 7 } });
  assert.equal(await echo.line(/^order /), 'order {"id":7}');
  echo.stop();
  await echo.exited;
  await waitSubscribed('news', 0);
});

test('the Node client: private channel, presence with user_info, and a peer channel between two users', async () => {
  const alice = runExample('examples/node-client.mjs', env, ['alice']);
  assert.equal(await alice.line(/^members /), 'members alice');
  const bob = runExample('examples/node-client.mjs', env, ['bob']);
  assert.equal(await bob.line(/^members /), 'members alice,bob');
  assert.equal(await alice.line(/^joined /), 'joined bob Bob'); // user_info from the auth endpoint
  // alice's client event on the pair channel the server made for them.
  assert.equal(await bob.line(/^peer /), 'peer peer-chat:alice&bob alice');
  await waitSubscribed('private-orders', 2);
  await sdk(ts).triggerEvent({ channel: 'private-orders', event: 'created', data: { id: 1 } });
  assert.equal(await alice.line(/^order /), 'order {"id":1}');
  assert.equal(await bob.line(/^order /), 'order {"id":1}');
  assert.ok(![...alice.lines, ...bob.lines].some((l) => l.startsWith('error')), 'no client reported an error');
  alice.stop();
  bob.stop();
  await Promise.all([alice.exited, bob.exited]);
});

test('the auth endpoint refuses strangers, other users’ personal channels and malformed requests', async () => {
  const url = env.AUTH_URL;
  const post = (body: string, token?: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body,
    });
  assert.equal((await post('socket_id=1.2&channel_name=private-orders')).status, 401);
  assert.equal((await post('socket_id=1.2&channel_name=personal-bob', 'alice-token')).status, 403);
  assert.equal((await post('socket_id=1.2&channel_name=personal-alice', 'alice-token')).status, 200);
  const bad = await post('socket_id=nonsense&channel_name=private-orders', 'alice-token');
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /socket/i);
});

test('the SDK example stores an event, follows a channel for a user and reads the history', async () => {
  const echo = runExample('examples/laravel-echo.mjs', env);
  await waitSubscribed('news', 1);
  const run = runExample('examples/sdk.mjs', env);
  assert.equal(await run.exited, 0, run.lines.join('\n'));
  assert.equal(await echo.line(/^news /), 'news {"text":"hi"}');
  assert.match(await run.line(/^stored /), /^stored \S+ hello \{"text":"hi"\}$/);
  assert.equal(await run.line(/^news subscribers/), 'news subscribers 1');
  const subs = await ts.sdk().get({ path: '/subscriptions', params: { user_id: 'alice', event: 'news' } });
  assert.equal(subs.status, 200);
  assert.match(await subs.text(), /news/);
  echo.stop();
  await echo.exited;
  await waitSubscribed('news', 0);
});

test('the notifications example registers a channel webhook that receives triggers and direct messages', async () => {
  const received: Array<{ body: string; valid: boolean }> = [];
  const arrived = new Set<() => void>();
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      let valid = true;
      try {
        sdk(ts).verifyWebhook(req.headers, body);
      } catch {
        valid = false;
      }
      received.push({ body, valid });
      res.end('ok');
      for (const wake of arrived) wake();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const run = runExample('examples/sdk-notifications.mjs', { ...env, HOOK_URL: url });
    assert.equal(await run.exited, 0, run.lines.join('\n'));
    assert.equal(await run.line(/^targets on news/), 'targets on news: 1');
    assert.equal(await run.line(/^direct message/), 'direct message sent: true');
    assert.equal(await run.line(/^e-mail targets removed/), 'e-mail targets removed: 1');
    assert.match(await run.line(/^VAPID public key/), /^VAPID public key: [\w-]{80,}$/);
    // The direct message is sent at once; the trigger's copy goes through the queue.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hook got ${JSON.stringify(received)}`)), 15_000);
      const check = () => {
        if (received.length < 2) return;
        clearTimeout(timer);
        arrived.delete(check);
        resolve();
      };
      arrived.add(check);
      check();
    });
    assert.ok(
      received.every((r) => r.valid),
      'every POST carries a valid X-Pusher-Signature',
    );
    const story = received.map((r) => JSON.parse(r.body)).find((m) => m.event === 'story');
    assert.deepEqual(story && { channel: story.channel, data: story.data }, {
      channel: 'news',
      data: '{"title":"Hello"}',
    });
  } finally {
    hook.close();
  }
});

/** Waits until the server counts `n` connections on `channel` (the barrier before a trigger). */
async function waitSubscribed(channel: string, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = await sdk(ts).channel(channel, 'subscription_count');
    if ((info.subscription_count ?? 0) === n) return;
    if (Date.now() > deadline) throw new Error(`${channel} never had ${n} subscribers`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
