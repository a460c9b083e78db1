// The Store contract, written once and run against every implementation (see store.test.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GroupCommitter } from '../../src/store/group-commit.ts';
import { StoreConflictError, type AppRecord, type NewEvent, type Store } from '../../src/store/store.ts';
import { webhookQueueTests } from './webhook-queue-contract.ts';
import { notifyTests } from './notify-contract.ts';

export interface StoreHarness {
  /** A new, not yet migrated instance on the same database each call. */
  open(): Store;
  /** Removes the database after the suite (temp file, test schema). */
  cleanup(): Promise<void>;
}

const hex = (n = 6) => randomBytes(n).toString('hex');
let clock = 1_700_000_000_000;

export function newApp(over: Partial<AppRecord> = {}): AppRecord {
  const id = over.id ?? `app-${hex()}`;
  return {
    id,
    key: `key-${hex()}`,
    secret: hex(16),
    name: `App ${id}`,
    enabled: true,
    options: {},
    createdAt: ++clock,
    ...over,
  };
}

export function newEvent(appId: string, channel: string, over: Partial<NewEvent> = {}): NewEvent {
  return { mid: `mid-${hex(8)}`, appId, channel, event: 'my-event', data: '{"n":1}', timestamp: ++clock, ...over };
}

/** A Store that forwards everything and counts appendEvents calls (optionally slowed down). */
function spy(store: Store, delayMs = 0): { store: Store; calls: number[] } {
  const calls: number[] = [];
  const wrapper = Object.create(store) as Store;
  wrapper.appendEvents = async (events) => {
    calls.push(events.length);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return store.appendEvents(events);
  };
  return { store: wrapper, calls };
}

export function contractSuite(name: string, harness: StoreHarness | { skip: string }): void {
  describe(name, { skip: 'skip' in harness ? harness.skip : false }, () => {
    if ('skip' in harness) return;
    let store: Store;

    before(async () => {
      store = harness.open();
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await harness.cleanup();
    });

    test('migrate is idempotent, also when run concurrently', async () => {
      await store.migrate();
      const [a, b] = [harness.open(), harness.open()];
      try {
        await Promise.all([a.migrate(), b.migrate()]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      await store.ping();
      assert.ok(['sqlite', 'postgres'].includes(store.kind));
    });

    test('apps: create, read, update, delete, conflicts', async () => {
      const app = newApp({ options: { persist: true, historyCount: 5 }, enabled: false });
      await store.createApp(app);
      assert.deepEqual(await store.getApp(app.id), app);
      assert.deepEqual(await store.getAppByKey(app.key), app);
      assert.ok((await store.listApps()).some((a) => a.id === app.id));
      assert.equal(await store.getApp('nope-' + hex()), undefined);
      assert.equal(await store.getAppByKey('nope-' + hex()), undefined);

      await assert.rejects(store.createApp({ ...newApp(), id: app.id }), StoreConflictError);
      await assert.rejects(store.createApp({ ...newApp(), key: app.key }), StoreConflictError);

      const updated = await store.updateApp(app.id, {
        name: 'Renamed',
        enabled: true,
        options: { clientEvents: true },
      });
      assert.deepEqual(updated, { ...app, name: 'Renamed', enabled: true, options: { clientEvents: true } });
      assert.deepEqual(await store.getApp(app.id), updated);
      assert.deepEqual(await store.updateApp(app.id, {}), updated);
      assert.equal(await store.updateApp('nope-' + hex(), { name: 'x' }), undefined);

      const other = newApp();
      await store.createApp(other);
      await assert.rejects(store.updateApp(app.id, { key: other.key }), StoreConflictError);

      assert.equal(await store.deleteApp(app.id), true);
      assert.equal(await store.deleteApp(app.id), false);
      assert.equal(await store.getApp(app.id), undefined);
      assert.ok(await store.getApp(other.id));
    });

    test('subscriptions: idempotent add and remove, filtered listing', async () => {
      const appId = `app-${hex()}`;
      assert.equal(await store.addSubscription(appId, 'u1', 'news'), true);
      assert.equal(await store.addSubscription(appId, 'u1', 'news'), false);
      await store.addSubscription(appId, 'u1', 'sport');
      await store.addSubscription(appId, 'u2', 'news');
      await store.addSubscription(`other-${hex()}`, 'u1', 'news');

      const all = await store.listSubscriptions(appId, {});
      assert.deepEqual(all.map((s) => `${s.userId}/${s.channel}`).sort(), ['u1/news', 'u1/sport', 'u2/news']);
      assert.ok(all.every((s) => s.appId === appId && typeof s.createdAt === 'number' && s.createdAt > 0));
      assert.deepEqual((await store.listSubscriptions(appId, { userId: 'u1' })).map((s) => s.channel).sort(), [
        'news',
        'sport',
      ]);
      assert.deepEqual((await store.listSubscriptions(appId, { channel: 'news' })).map((s) => s.userId).sort(), [
        'u1',
        'u2',
      ]);
      assert.equal((await store.listSubscriptions(appId, { userId: 'u2', channel: 'news' })).length, 1);
      assert.equal((await store.listSubscriptions(appId, { userId: 'u3' })).length, 0);

      assert.equal(await store.removeSubscription(appId, 'u1', 'news'), true);
      assert.equal(await store.removeSubscription(appId, 'u1', 'news'), false);
      assert.equal((await store.listSubscriptions(appId, { channel: 'news' })).length, 1);
    });

    test('appendEvents: seqs in order, deliveries only to users subscribed at that moment', async () => {
      const appId = `app-${hex()}`;
      await store.addSubscription(appId, 'u1', 'news');
      await store.addSubscription(appId, 'u2', 'news');
      await store.addSubscription(appId, 'u2', 'sport');
      const input = [
        newEvent(appId, 'news', { socketId: '1.2', userId: 'sender' }),
        newEvent(appId, 'sport'),
        newEvent(appId, 'news', { data: 'plain text' }),
      ];
      const out = await store.appendEvents(input);
      assert.equal(out.length, 3);
      out.forEach((e, i) => {
        const { socketId, userId, ...rest } = input[i]!;
        assert.deepEqual(e, { ...rest, socketId: socketId ?? null, userId: userId ?? null, seq: e.seq });
        if (i > 0) assert.ok(e.seq > out[i - 1]!.seq, 'seqs increase in input order');
      });
      assert.deepEqual(await store.appendEvents([]), []);

      await store.addSubscription(appId, 'u3', 'news'); // after the fact: gets nothing
      const [n1, s1, n2] = out;
      assert.deepEqual(await store.userEvents(appId, 'u1', { skip: 0, count: 10 }), [n2, n1]);
      assert.deepEqual(await store.userEvents(appId, 'u2', { skip: 0, count: 10 }), [n2, s1, n1]);
      assert.deepEqual(await store.userEvents(appId, 'u3', { skip: 0, count: 10 }), []);

      const [n3] = await store.appendEvents([newEvent(appId, 'news')]);
      assert.deepEqual(await store.userEvents(appId, 'u3', { skip: 0, count: 10 }), [n3]);
      assert.deepEqual(await store.channelEvents(appId, 'news', { skip: 0, count: 10 }), [n3, n2, n1]);
    });

    test('channelEvents and userEvents page newest first', async () => {
      const appId = `app-${hex()}`;
      await store.addSubscription(appId, 'u', 'c');
      const out = await store.appendEvents([1, 2, 3, 4, 5].map((n) => newEvent(appId, 'c', { data: String(n) })));
      const newest = [...out].reverse();
      for (const read of [
        (p: { skip: number; count: number }) => store.channelEvents(appId, 'c', p),
        (p: { skip: number; count: number }) => store.userEvents(appId, 'u', p),
      ]) {
        assert.deepEqual(await read({ skip: 0, count: 2 }), newest.slice(0, 2));
        assert.deepEqual(await read({ skip: 2, count: 2 }), newest.slice(2, 4));
        assert.deepEqual(await read({ skip: 4, count: 10 }), newest.slice(4));
        assert.deepEqual(await read({ skip: 5, count: 10 }), []);
        assert.deepEqual(await read({ skip: 100, count: 10 }), []);
        assert.deepEqual(await read({ skip: 0, count: 0 }), []);
      }
      assert.deepEqual(await store.channelEvents(appId, 'other', { skip: 0, count: 10 }), []);
    });

    test('prune by count per channel and by age', async () => {
      const appId = `app-${hex()}`;
      const otherApp = `app-${hex()}`;
      await store.addSubscription(appId, 'u', 'a');
      const a = await store.appendEvents([1, 2, 3, 4, 5].map(() => newEvent(appId, 'a')));
      const b = await store.appendEvents([1, 2].map(() => newEvent(appId, 'b')));
      await store.appendEvents([1, 2, 3, 4].map(() => newEvent(otherApp, 'a')));

      assert.equal(await store.prune({ appId, maxPerChannel: 3, maxAgeMs: 0 }), 2);
      assert.deepEqual(await store.channelEvents(appId, 'a', { skip: 0, count: 10 }), a.slice(2).reverse());
      assert.deepEqual(await store.channelEvents(appId, 'b', { skip: 0, count: 10 }), b.slice().reverse());
      // Deliveries of pruned events go with them.
      assert.deepEqual(await store.userEvents(appId, 'u', { skip: 0, count: 10 }), a.slice(2).reverse());
      assert.equal((await store.channelEvents(otherApp, 'a', { skip: 0, count: 10 })).length, 4);
      assert.equal(await store.prune({ appId, maxPerChannel: 3, maxAgeMs: 0 }), 0);

      // By age: everything strictly older than now - maxAgeMs goes, whatever the count.
      const t = a[3]!.timestamp; // a[2], a[3] older than a[4]
      assert.equal(await store.prune({ appId, maxPerChannel: 0, maxAgeMs: 10 }, t + 10), 1); // a[2]
      assert.deepEqual(
        (await store.channelEvents(appId, 'a', { skip: 0, count: 10 })).map((e) => e.seq),
        [a[4]!.seq, a[3]!.seq],
      );
      assert.equal(await store.prune({ appId, maxPerChannel: 1, maxAgeMs: 1 }, b[1]!.timestamp + 1), 3); // age: a[3], a[4], b[0]
      assert.deepEqual(await store.channelEvents(appId, 'b', { skip: 0, count: 10 }), [b[1]]);
      assert.deepEqual(await store.channelEvents(appId, 'a', { skip: 0, count: 10 }), []);
      assert.equal((await store.channelEvents(otherApp, 'a', { skip: 0, count: 10 })).length, 4);
    });

    test('deleteApp removes subscriptions, events and deliveries', async () => {
      const app = newApp();
      const keep = newApp();
      for (const x of [app, keep]) {
        await store.createApp(x);
        await store.addSubscription(x.id, 'u', 'c');
        await store.appendEvents([newEvent(x.id, 'c'), newEvent(x.id, 'c')]);
      }
      assert.equal(await store.deleteApp(app.id), true);
      assert.deepEqual(await store.listSubscriptions(app.id, {}), []);
      assert.deepEqual(await store.channelEvents(app.id, 'c', { skip: 0, count: 10 }), []);
      assert.deepEqual(await store.userEvents(app.id, 'u', { skip: 0, count: 10 }), []);
      assert.equal((await store.userEvents(keep.id, 'u', { skip: 0, count: 10 })).length, 2);
      assert.equal((await store.listSubscriptions(keep.id, {})).length, 1);
    });

    test('GroupCommitter: a burst shares transactions and keeps call order', async () => {
      const appId = `app-${hex()}`;
      await store.addSubscription(appId, 'u', 'c');
      const s = spy(store);
      const committer = new GroupCommitter(s.store);
      const input = Array.from({ length: 200 }, (_, i) => newEvent(appId, 'c', { data: String(i) }));
      const out = await Promise.all(input.map((e) => committer.append(e)));
      assert.ok(s.calls.length <= 2, `200 appends in ${s.calls.length} appendEvents calls`);
      out.forEach((e, i) => {
        assert.equal(e.mid, input[i]!.mid);
        if (i > 0) assert.ok(e.seq > out[i - 1]!.seq, 'commit order is call order');
      });
      assert.equal((await store.userEvents(appId, 'u', { skip: 0, count: 500 })).length, 200);

      // Max batch size, and events arriving during a slow commit wait for the next one together.
      const slow = spy(store, 30);
      const small = new GroupCommitter(slow.store, { maxBatch: 50 });
      const first = small.append(newEvent(appId, 'c'));
      await new Promise((r) => setTimeout(r, 5)); // first commit now in flight
      const later: Promise<unknown>[] = [];
      for (let tick = 0; tick < 5; tick++) {
        for (let i = 0; i < 24; i++) later.push(small.append(newEvent(appId, 'c')));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all([first, ...later]);
      assert.deepEqual(slow.calls, [1, 50, 50, 20]);
      await small.drain();
    });

    test('GroupCommitter: every caller of a failed batch gets its error', async () => {
      const failing = Object.create(store) as Store;
      failing.appendEvents = async () => {
        throw new Error('boom');
      };
      const committer = new GroupCommitter(failing);
      const results = await Promise.allSettled([1, 2, 3].map(() => committer.append(newEvent('x', 'c'))));
      assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'boom'));
    });

    webhookQueueTests(
      () => store,
      () => harness.open(),
    );
    notifyTests(
      () => store,
      () => harness.open(),
    );

    test('data survives closing and reopening', async () => {
      const writer = harness.open();
      await writer.migrate();
      const app = newApp();
      await writer.createApp(app);
      await writer.addSubscription(app.id, 'u', 'c');
      const events = await writer.appendEvents([newEvent(app.id, 'c'), newEvent(app.id, 'c')]);
      await writer.close();

      const reader = harness.open();
      try {
        await reader.migrate();
        assert.deepEqual(await reader.getApp(app.id), app);
        assert.equal((await reader.listSubscriptions(app.id, {})).length, 1);
        assert.deepEqual(await reader.userEvents(app.id, 'u', { skip: 0, count: 10 }), events.slice().reverse());
        const [next] = await reader.appendEvents([newEvent(app.id, 'c')]);
        assert.ok(next!.seq > events[1]!.seq, 'seq keeps increasing after a reopen');
      } finally {
        await reader.close();
      }
    });
  });
}
