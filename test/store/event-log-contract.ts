// The event log role's contract (stored events, offline subscriptions, retention, group commit),
// run against every implementation (see store.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventLog, EventLogWrites } from '../../src/store/event-log.ts';
import { GroupCommitter } from '../../src/store/group-commit.ts';
import { type ContractStores, hex, newApp, newEvent } from './records.ts';

/** An event log whose append is counted (and optionally slowed down); everything else is the real one. */
function spy(inner: EventLog, delayMs = 0): { log: Pick<EventLogWrites, 'append'>; calls: number[] } {
  const calls: number[] = [];
  const log = {
    append: async (events: Parameters<EventLog['append']>[0]) => {
      calls.push(events.length);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return inner.append(events);
    },
  };
  return { log, calls };
}

export function eventLogContract({ get, open }: ContractStores): void {
  test('subscriptions: idempotent add and remove, filtered listing', async () => {
    const log = get().events;
    const appId = `app-${hex()}`;
    assert.equal(await log.addSubscription(appId, 'u1', 'news'), true);
    assert.equal(await log.addSubscription(appId, 'u1', 'news'), false);
    await log.addSubscription(appId, 'u1', 'sport');
    await log.addSubscription(appId, 'u2', 'news');
    await log.addSubscription(`other-${hex()}`, 'u1', 'news');

    const all = await log.listSubscriptions(appId, {});
    assert.deepEqual(all.map((s) => `${s.userId}/${s.channel}`).sort(), ['u1/news', 'u1/sport', 'u2/news']);
    assert.ok(all.every((s) => s.appId === appId && typeof s.createdAt === 'number' && s.createdAt > 0));
    assert.deepEqual((await log.listSubscriptions(appId, { userId: 'u1' })).map((s) => s.channel).sort(), [
      'news',
      'sport',
    ]);
    assert.deepEqual((await log.listSubscriptions(appId, { channel: 'news' })).map((s) => s.userId).sort(), [
      'u1',
      'u2',
    ]);
    assert.equal((await log.listSubscriptions(appId, { userId: 'u2', channel: 'news' })).length, 1);
    assert.equal((await log.listSubscriptions(appId, { userId: 'u3' })).length, 0);

    assert.equal(await log.removeSubscription(appId, 'u1', 'news'), true);
    assert.equal(await log.removeSubscription(appId, 'u1', 'news'), false);
    assert.equal((await log.listSubscriptions(appId, { channel: 'news' })).length, 1);
  });

  test('history from a position: seqOf a mid, then the events after it, oldest first', async () => {
    const log = get().events;
    const appId = `app-${hex()}`;
    await log.addSubscription(appId, 'u1', 'news');
    const [a, b, , d] = await log.append([
      newEvent(appId, 'news'),
      newEvent(appId, 'news'),
      newEvent(appId, 'sport'),
      newEvent(appId, 'news'),
    ]);
    assert.equal(await log.seqOf(appId, a.mid), a.seq);
    assert.equal(await log.seqOf(`other-${hex()}`, a.mid), undefined, "another app's mid is unknown here");
    assert.equal(await log.seqOf(appId, 'nosuchmid'), undefined);
    const after = await log.channelEventsAfter(appId, 'news', a.seq, 10);
    assert.deepEqual(
      after.map((e) => e.mid),
      [b.mid, d.mid],
    );
    assert.deepEqual(
      (await log.channelEventsAfter(appId, 'news', a.seq, 1)).map((e) => e.mid),
      [b.mid],
      'count bounds the page, oldest first',
    );
    assert.deepEqual(
      (await log.userEventsAfter(appId, 'u1', b.seq, 10)).map((e) => e.mid),
      [d.mid],
      "a user's events: only its channels'",
    );
    assert.deepEqual(await log.channelEventsAfter(appId, 'news', d.seq, 10), []);
  });

  test('appendEvents: seqs in order, deliveries only to users subscribed at that moment', async () => {
    const log = get().events;
    const appId = `app-${hex()}`;
    await log.addSubscription(appId, 'u1', 'news');
    await log.addSubscription(appId, 'u2', 'news');
    await log.addSubscription(appId, 'u2', 'sport');
    const input = [
      newEvent(appId, 'news', { socketId: '1.2', userId: 'sender' }),
      newEvent(appId, 'sport'),
      newEvent(appId, 'news', { data: 'plain text' }),
    ];
    const out = await log.append(input);
    assert.equal(out.length, 3);
    out.forEach((e, i) => {
      const { socketId, userId, ...rest } = input[i]!;
      assert.deepEqual(e, { ...rest, socketId: socketId ?? null, userId: userId ?? null, seq: e.seq });
      if (i > 0) assert.ok(e.seq > out[i - 1]!.seq, 'seqs increase in input order');
    });
    assert.deepEqual(await log.append([]), []);

    await log.addSubscription(appId, 'u3', 'news'); // after the fact: gets nothing
    const [n1, s1, n2] = out;
    assert.deepEqual(await log.userEvents(appId, 'u1', { skip: 0, count: 10 }), [n2, n1]);
    assert.deepEqual(await log.userEvents(appId, 'u2', { skip: 0, count: 10 }), [n2, s1, n1]);
    assert.deepEqual(await log.userEvents(appId, 'u3', { skip: 0, count: 10 }), []);

    const [n3] = await log.append([newEvent(appId, 'news')]);
    assert.deepEqual(await log.userEvents(appId, 'u3', { skip: 0, count: 10 }), [n3]);
    assert.deepEqual(await log.channelEvents(appId, 'news', { skip: 0, count: 10 }), [n3, n2, n1]);
  });

  test('channelEvents and userEvents page newest first', async () => {
    const log = get().events;
    const appId = `app-${hex()}`;
    await log.addSubscription(appId, 'u', 'c');
    const out = await log.append([1, 2, 3, 4, 5].map((n) => newEvent(appId, 'c', { data: String(n) })));
    const newest = [...out].reverse();
    for (const read of [
      (p: { skip: number; count: number }) => log.channelEvents(appId, 'c', p),
      (p: { skip: number; count: number }) => log.userEvents(appId, 'u', p),
    ]) {
      assert.deepEqual(await read({ skip: 0, count: 2 }), newest.slice(0, 2));
      assert.deepEqual(await read({ skip: 2, count: 2 }), newest.slice(2, 4));
      assert.deepEqual(await read({ skip: 4, count: 10 }), newest.slice(4));
      assert.deepEqual(await read({ skip: 5, count: 10 }), []);
      assert.deepEqual(await read({ skip: 100, count: 10 }), []);
      assert.deepEqual(await read({ skip: 0, count: 0 }), []);
    }
    assert.deepEqual(await log.channelEvents(appId, 'other', { skip: 0, count: 10 }), []);
  });

  test('prune by count per channel and by age', async () => {
    const log = get().events;
    const appId = `app-${hex()}`;
    const otherApp = `app-${hex()}`;
    await log.addSubscription(appId, 'u', 'a');
    const a = await log.append([1, 2, 3, 4, 5].map(() => newEvent(appId, 'a')));
    const b = await log.append([1, 2].map(() => newEvent(appId, 'b')));
    await log.append([1, 2, 3, 4].map(() => newEvent(otherApp, 'a')));

    assert.equal(await log.prune({ appId, maxPerChannel: 3, maxAgeMs: 0 }), 2);
    assert.deepEqual(await log.channelEvents(appId, 'a', { skip: 0, count: 10 }), a.slice(2).reverse());
    assert.deepEqual(await log.channelEvents(appId, 'b', { skip: 0, count: 10 }), b.slice().reverse());
    // Deliveries of pruned events go with them.
    assert.deepEqual(await log.userEvents(appId, 'u', { skip: 0, count: 10 }), a.slice(2).reverse());
    assert.equal((await log.channelEvents(otherApp, 'a', { skip: 0, count: 10 })).length, 4);
    assert.equal(await log.prune({ appId, maxPerChannel: 3, maxAgeMs: 0 }), 0);

    // By age: everything strictly older than now - maxAgeMs goes, whatever the count.
    const t = a[3]!.timestamp; // a[2], a[3] older than a[4]
    assert.equal(await log.prune({ appId, maxPerChannel: 0, maxAgeMs: 10 }, t + 10), 1); // a[2]
    assert.deepEqual(
      (await log.channelEvents(appId, 'a', { skip: 0, count: 10 })).map((e) => e.seq),
      [a[4]!.seq, a[3]!.seq],
    );
    assert.equal(await log.prune({ appId, maxPerChannel: 1, maxAgeMs: 1 }, b[1]!.timestamp + 1), 3); // age: a[3], a[4], b[0]
    assert.deepEqual(await log.channelEvents(appId, 'b', { skip: 0, count: 10 }), [b[1]]);
    assert.deepEqual(await log.channelEvents(appId, 'a', { skip: 0, count: 10 }), []);
    assert.equal((await log.channelEvents(otherApp, 'a', { skip: 0, count: 10 })).length, 4);
  });

  test('GroupCommitter: a burst shares transactions and keeps call order', async () => {
    const log = get().events;
    const appId = `app-${hex()}`;
    await log.addSubscription(appId, 'u', 'c');
    const s = spy(log);
    const committer = new GroupCommitter(s.log);
    const input = Array.from({ length: 200 }, (_, i) => newEvent(appId, 'c', { data: String(i) }));
    const out = await Promise.all(input.map((e) => committer.append(e)));
    assert.ok(s.calls.length <= 2, `200 appends in ${s.calls.length} append calls`);
    out.forEach((e, i) => {
      assert.equal(e.mid, input[i]!.mid);
      if (i > 0) assert.ok(e.seq > out[i - 1]!.seq, 'commit order is call order');
    });
    assert.equal((await log.userEvents(appId, 'u', { skip: 0, count: 500 })).length, 200);

    // Max batch size, and events arriving during a slow commit wait for the next one together.
    const slow = spy(log, 30);
    const small = new GroupCommitter(slow.log, { maxBatch: 50 });
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
    const failing: Pick<EventLogWrites, 'append'> = {
      append: async () => {
        throw new Error('boom');
      },
    };
    const committer = new GroupCommitter(failing);
    const results = await Promise.allSettled([1, 2, 3].map(() => committer.append(newEvent('x', 'c'))));
    assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'boom'));
  });

  test('data survives closing and reopening', async () => {
    const writer = open();
    await writer.migrate();
    const app = newApp();
    await writer.apps.create(app);
    await writer.events.addSubscription(app.id, 'u', 'c');
    const events = await writer.events.append([newEvent(app.id, 'c'), newEvent(app.id, 'c')]);
    await writer.close();

    const reader = open();
    try {
      await reader.migrate();
      assert.deepEqual(await reader.apps.get(app.id), app);
      assert.equal((await reader.events.listSubscriptions(app.id, {})).length, 1);
      assert.deepEqual(await reader.events.userEvents(app.id, 'u', { skip: 0, count: 10 }), events.slice().reverse());
      const [next] = await reader.events.append([newEvent(app.id, 'c')]);
      assert.ok(next!.seq > events[1]!.seq, 'seq keeps increasing after a reopen');
    } finally {
      await reader.close();
    }
  });
}
