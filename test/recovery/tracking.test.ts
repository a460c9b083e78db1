// Position tracking, dedupe and resume, frame by frame: the Pushi client and pusher-js with the
// recovery add-on (directly and through Laravel Echo) run the same script against a scripted server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { client } from '../client/util.ts';
import Echo from 'laravel-echo';
import { Pusher, waitUntil } from '../helpers/pusher-js.ts';
import { recover } from '../../src/pusher-js/index.ts';
import { scriptedServer, type Scripted } from './scripted.ts';

/** What a client under test exposes to the script. */
interface Harness {
  subscribe(channel: string): void;
  unsubscribe(channel: string): void;
  /** App events received per channel, as `event:n`. */
  received: Record<string, string[]>;
  /** Recovery signals in arrival order, as `<where> <signal> <channel>` (where: client or channel). */
  signals: string[];
  /** Events and channel signals in arrival order: `<channel> <event>:<n>` or `<channel> <signal>`. */
  log: string[];
  close(): void;
}

function pushiHarness(s: Scripted): Harness {
  const p = client({ wsPort: s.port });
  const h: Harness = {
    received: {},
    signals: [],
    log: [],
    subscribe(name) {
      const ch = p.subscribe(name);
      const got = (h.received[name] = [] as string[]);
      ch.bindGlobal((event, data) => {
        got.push(`${event}:${data.n}`);
        h.log.push(`${name} ${event}:${data.n}`);
      });
      for (const signal of ['recovered', 'recovery_failed'])
        ch.bind(signal, (_e, data) => {
          h.signals.push(`channel ${signal} ${data.channel}`);
          h.log.push(`${name} ${signal}`);
        });
    },
    unsubscribe: (name) => p.unsubscribe(name),
    close: () => p.disconnect(),
  };
  for (const signal of ['recovered', 'recovery_failed'] as const)
    p.bind(signal, (_e, data) => h.signals.push(`client ${signal} ${data.channel}`));
  return h;
}

function pusherJsHarness(s: Scripted): Harness {
  const p = new Pusher('test-key', {
    cluster: 'x',
    wsHost: '127.0.0.1',
    wsPort: s.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
  });
  const r = recover(p);
  const h: Harness = {
    received: {},
    signals: [],
    log: [],
    subscribe(name) {
      const ch = p.subscribe(name);
      const got = (h.received[name] = [] as string[]);
      ch.bind_global((event: string, data: { n?: number }) => {
        if (event.startsWith('pushi:')) {
          h.signals.push(`channel ${event.slice(6)} ${name}`);
          h.log.push(`${name} ${event.slice(6)}`);
        } else if (!event.startsWith('pusher:')) {
          got.push(`${event}:${data.n}`);
          h.log.push(`${name} ${event}:${data.n}`);
        }
      });
    },
    unsubscribe: (name) => p.unsubscribe(name),
    close: () => p.disconnect(),
  };
  for (const signal of ['recovered', 'recovery_failed'] as const)
    r.bind(signal, (data) => h.signals.push(`client ${signal} ${data.channel}`));
  return h;
}

/** Laravel Echo as its docs use it: recover(echo.connector.pusher), outcomes through .listen('.pushi:…'). */
function echoHarness(s: Scripted): Harness {
  const options: Record<string, unknown> = {
    broadcaster: 'pusher',
    key: 'test-key',
    Pusher,
    cluster: 'x',
    wsHost: '127.0.0.1',
    wsPort: s.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
  };
  const e = new Echo<'pusher'>(options as ConstructorParameters<typeof Echo<'pusher'>>[0]);
  const r = recover(e.connector.pusher);
  const h: Harness = {
    received: {},
    signals: [],
    log: [],
    subscribe(name) {
      const got = (h.received[name] = [] as string[]);
      const ch = e.channel(name).listenToAll((event: string, data: { n?: number }) => {
        if (event.startsWith('.pushi:')) return;
        got.push(`${event.slice(1)}:${data.n}`);
        h.log.push(`${name} ${event.slice(1)}:${data.n}`);
      });
      for (const signal of ['recovered', 'recovery_failed'])
        ch.listen(`.pushi:${signal}`, () => {
          h.signals.push(`channel ${signal} ${name}`);
          h.log.push(`${name} ${signal}`);
        });
    },
    unsubscribe: (name) => e.leave(name),
    close: () => e.disconnect(),
  };
  for (const signal of ['recovered', 'recovery_failed'] as const)
    r.bind(signal, (data) => h.signals.push(`client ${signal} ${data.channel}`));
  return h;
}

const harnesses = {
  'the Pushi client': pushiHarness,
  'pusher-js with pushi/pusher-js': pusherJsHarness,
  'Laravel Echo with pushi/pusher-js': echoHarness,
};

for (const [name, make] of Object.entries(harnesses)) {
  describe(name, () => {
    test('tracks positions, drops duplicates, resumes from the last offset and reports the outcome', async () => {
      const s = await scriptedServer();
      const h = make(s);
      try {
        h.subscribe('a');
        h.subscribe('b');
        const first = await s.peer(1);
        assert.equal((await first.subscribeData('a')).recover, undefined, 'a first subscribe asks for nothing');
        assert.equal((await first.subscribeData('b')).recover, undefined);
        first.succeed('a', { epoch: 'e1', offset: 3 });
        first.succeed('b', {});
        first.event('a', 'tick', { n: 4 }, 'e1', 4);
        first.event('a', 'tick', { n: 4 }, 'e1', 4); // the same offset again
        first.event('a', 'tick', { n: 2 }, 'e1', 2); // below the subscribe position
        first.event('a', 'tick', { n: 5 }, 'e1', 5);
        first.event('b', 'tick', { n: 1 }); // no position: always delivered
        first.event('b', 'tick', { n: 1 });
        first.event('b', 'tick', { n: 7 }, 'x', 7);
        first.event('a', 'tick', { n: 6 }, 'e1', 6);
        await waitUntil(() => h.received.a.includes('tick:6'), 'a at offset 6');
        assert.deepEqual(h.received.a, ['tick:4', 'tick:5', 'tick:6']);
        assert.deepEqual(h.received.b, ['tick:1', 'tick:1', 'tick:7']);

        first.ws.terminate(); // the network drops: the client reconnects by itself
        const second = await s.peer(2);
        assert.deepEqual((await second.subscribeData('a')).recover, { epoch: 'e1', offset: 6, socket_id: '1.1' });
        assert.deepEqual((await second.subscribeData('b')).recover, { epoch: 'x', offset: 7, socket_id: '1.1' });
        // The replay overlaps what arrived live (6), then the missed 7 and 8.
        second.event('a', 'tick', { n: 6 }, 'e1', 6);
        second.event('a', 'tick', { n: 7 }, 'e1', 7);
        second.event('a', 'tick', { n: 8 }, 'e1', 8);
        second.succeed('a', { recovered: true, epoch: 'e1', offset: 8 });
        second.succeed('b', { recovered: false, epoch: 'y', offset: 0 });
        second.event('b', 'tick', { n: 1 }, 'y', 1); // a new epoch starts again from 1
        second.event('a', 'tick', { n: 8 }, 'e1', 8);
        second.event('a', 'tick', { n: 9 }, 'e1', 9);
        await waitUntil(() => h.received.a.includes('tick:9') && h.received.b.length === 4, 'the live events');
        assert.deepEqual(h.received.a, ['tick:4', 'tick:5', 'tick:6', 'tick:7', 'tick:8', 'tick:9']);
        assert.deepEqual(h.received.b, ['tick:1', 'tick:1', 'tick:7', 'tick:1']);
        // The replay comes before the outcome, the live events after it.
        const a = h.log.filter((x) => x.startsWith('a '));
        assert.deepEqual(a.slice(a.indexOf('a tick:6') + 1), ['a tick:7', 'a tick:8', 'a recovered', 'a tick:9']);
        assert.deepEqual([...h.signals].sort(), [
          'channel recovered a',
          'channel recovery_failed b',
          'client recovered a',
          'client recovery_failed b',
        ]);

        // A server without positions (recovery off) clears them: the next resume asks for nothing.
        second.ws.terminate();
        const third = await s.peer(3);
        assert.ok((await third.subscribeData('a')).recover);
        third.succeed('a', {});
        third.succeed('b', {});
        third.event('a', 'tick', { n: 10 }, 'e1', 10);
        third.event('b', 'done', { n: 0 });
        await waitUntil(() => h.received.b.includes('done:0'), 'b done');
        third.ws.terminate();
        const fourth = await s.peer(4);
        assert.deepEqual((await fourth.subscribeData('a')).recover, { epoch: 'e1', offset: 10, socket_id: '1.3' });
        assert.equal((await fourth.subscribeData('b')).recover, undefined);
        assert.equal(h.signals.length, 4, 'no signal without a recovered flag');
      } finally {
        h.close();
        await s.close();
      }
    });

    test("a cache channel's last event, sent again after subscription_succeeded, reaches the app unless recovered", async () => {
      const s = await scriptedServer();
      const h = make(s);
      try {
        h.subscribe('cache-a');
        const first = await s.peer(1);
        await first.subscribeData('cache-a');
        first.succeed('cache-a', { epoch: 'e', offset: 5 });
        first.event('cache-a', 'tick', { n: 5 }, 'e', 5); // the cached event, at the position just given
        first.event('cache-a', 'tick', { n: 5 }, 'e', 5); // a duplicate
        first.event('cache-a', 'tick', { n: 6 }, 'e', 6);
        await waitUntil(() => h.received['cache-a'].includes('tick:6'), 'cache-a at 6');
        first.ws.terminate();
        const second = await s.peer(2);
        assert.deepEqual((await second.subscribeData('cache-a')).recover, { epoch: 'e', offset: 6, socket_id: '1.1' });
        second.succeed('cache-a', { recovered: true, epoch: 'e', offset: 6 });
        second.event('cache-a', 'tick', { n: 6 }, 'e', 6); // recovered: it had it, a duplicate
        second.event('cache-a', 'tick', { n: 7 }, 'e', 7);
        await waitUntil(() => h.received['cache-a'].includes('tick:7'), 'cache-a at 7');
        second.ws.terminate();
        const third = await s.peer(3);
        await third.subscribeData('cache-a');
        third.succeed('cache-a', { recovered: false, epoch: 'e', offset: 9 });
        third.event('cache-a', 'tick', { n: 8 }, 'e', 8); // not recovered: the cached event is for the app
        third.event('cache-a', 'tick', { n: 10 }, 'e', 10);
        await waitUntil(() => h.received['cache-a'].includes('tick:10'), 'cache-a at 10');
        assert.deepEqual(h.received['cache-a'], ['tick:5', 'tick:6', 'tick:7', 'tick:8', 'tick:10']);
        third.ws.terminate();
        const fourth = await s.peer(4);
        assert.deepEqual((await fourth.subscribeData('cache-a')).recover, { epoch: 'e', offset: 10, socket_id: '1.3' });
      } finally {
        h.close();
        await s.close();
      }
    });

    test('a channel left and joined again starts fresh', async () => {
      const s = await scriptedServer();
      const h = make(s);
      try {
        h.subscribe('c');
        const first = await s.peer(1);
        await first.subscribeData('c');
        first.succeed('c', { epoch: 'e', offset: 5 });
        first.event('c', 'tick', { n: 6 }, 'e', 6);
        await waitUntil(() => h.received.c.length === 1, 'c at 6');
        h.unsubscribe('c');
        await waitUntil(() => first.frames.some((f) => f.event === 'pusher:unsubscribe'), 'the unsubscribe');
        h.subscribe('c');
        await waitUntil(() => first.frames.filter((f) => f.event === 'pusher:subscribe').length === 2, 'again');
        assert.equal(first.frames.at(-1)?.data?.recover, undefined);
      } finally {
        h.close();
        await s.close();
      }
    });
  });
}
