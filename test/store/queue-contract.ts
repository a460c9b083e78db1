// The durable queue role's contract, run for every queue (webhooks, notifications) against every
// implementation (see store.test.ts). Each test leaves no pending item behind: claims take every
// due item of the queue, whatever its app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  DurableQueue,
  NewNotification,
  NewWebhookDelivery,
  QueueEntry,
  QueueItem,
} from '../../src/store/durable-queue.ts';
import type { Stores } from '../../src/store/stores.ts';
import { type ContractStores, hex, newApp } from './records.ts';

const T = 1_800_000_000_000;

/** One queue under test: where it is in the bundle and what its items look like. */
export interface QueueUse<N extends QueueEntry> {
  name: 'webhooks' | 'notifications';
  of(stores: Stores): DurableQueue<N>;
  /** A new item for appId, due at T unless `over` says otherwise; each call's job differs. */
  item(appId: string, over?: Partial<QueueEntry>): N;
}

export const webhookUse: QueueUse<NewWebhookDelivery> = {
  name: 'webhooks',
  of: (s) => s.webhooks,
  item: (appId, over) => ({
    appId,
    url: 'http://127.0.0.1:1/hook',
    body: `{"time_ms":1,"events":[{"n":"${hex()}"}]}`,
    createdAt: T,
    nextAttemptAt: T,
    ...over,
  }),
};

export const notificationUse: QueueUse<NewNotification> = {
  name: 'notifications',
  of: (s) => s.notifications,
  item: (appId, over) => ({
    appId,
    kind: 'web_push',
    address: `https://push/${hex()}`,
    target: { endpoint: 'e', p256dh: 'p', auth: 'x', nested: { n: [1, 'two'] } },
    body: `{"n":"${hex()}"}`,
    createdAt: T,
    nextAttemptAt: T,
    ...over,
  }),
};

/** Claims everything due at `now` and marks it done (cleanup). */
async function drain<N extends QueueEntry>(queue: DurableQueue<N>, now: number): Promise<void> {
  for (const item of await queue.claim(now, 1, 1000)) await queue.done(item.id);
}

/** The item as enqueued, with the bookkeeping a fresh claim gives it. */
function claimedAs<N extends QueueEntry>(item: N, id: number, leaseEnd: number): QueueItem<N> {
  return { ...item, id, status: 'pending', attempts: 0, lastError: null, nextAttemptAt: leaseEnd };
}

export function queueContract<N extends QueueEntry>({ get, open }: ContractStores, use: QueueUse<N>): void {
  const { name, item } = use;

  test(`${name} queue: enqueue, claim due items under a lease, done`, async () => {
    const queue = use.of(get());
    const a = `app-${hex()}`;
    const b = `app-${hex()}`;
    const items = [item(a), item(b), item(a, { nextAttemptAt: T + 5000 })];
    await queue.enqueue(items);
    await queue.enqueue([]);
    assert.equal(await queue.countPending(a), 2);
    assert.equal(await queue.countPending(b), 1);
    assert.ok((await queue.countPending()) >= 3);

    const claimed = await queue.claim(T, 1000, 10);
    assert.equal(claimed.length, 2, 'only due items');
    assert.ok(claimed[0]!.id < claimed[1]!.id);
    // Every job field comes back as enqueued (nested JSON included).
    assert.deepEqual(claimed, [
      claimedAs(items[0]!, claimed[0]!.id, T + 1000),
      claimedAs(items[1]!, claimed[1]!.id, T + 1000),
    ]);
    assert.deepEqual(await queue.claim(T + 999, 1000, 10), [], 'leased items are not claimed again');
    const again = await queue.claim(T + 1000, 1000, 1);
    assert.deepEqual(
      again.map((w) => w.id),
      [claimed[0]!.id],
      'an expired lease is claimable; limit respected',
    );

    await queue.done(claimed[0]!.id);
    await queue.done(claimed[1]!.id);
    assert.equal(await queue.countPending(a), 1);
    assert.equal(await queue.countPending(b), 0);
    await drain(queue, T + 10_000);
    assert.equal(await queue.countPending(a), 0);
  });

  test(`${name} queue: reschedule counts attempts, fail keeps the item for the API, retry requeues`, async () => {
    const queue = use.of(get());
    const a = `app-${hex()}`;
    await queue.enqueue([item(a), item(a)]);
    const [w1, w2] = await queue.claim(T, 60_000, 10);
    await queue.reschedule(w1!.id, T + 100, 'HTTP 500');
    await queue.reschedule(w2!.id, T + 100, null, false); // a lease given back, no attempt
    const [r1, r2] = await queue.claim(T + 100, 60_000, 10);
    assert.equal(r1!.attempts, 1);
    assert.equal(r1!.lastError, 'HTTP 500');
    assert.equal(r2!.attempts, 0);
    assert.equal(r2!.lastError, null);

    await queue.fail(r1!.id, 'timeout');
    await queue.fail(r2!.id, 'refused');
    assert.equal(await queue.countPending(a), 0);
    assert.deepEqual(await queue.claim(T + 1e9, 1, 10).then((l) => l.filter((w) => w.appId === a)), []);
    const failed = await queue.listFailed(a, { skip: 0, count: 10 });
    assert.deepEqual(
      failed.map((w) => [w.id, w.status, w.attempts, w.lastError]),
      [
        [r2!.id, 'failed', 1, 'refused'],
        [r1!.id, 'failed', 2, 'timeout'],
      ],
    );
    assert.deepEqual(
      (await queue.listFailed(a, { skip: 1, count: 10 })).map((w) => w.id),
      [r1!.id],
    );
    assert.deepEqual(await queue.listFailed(`app-${hex()}`, { skip: 0, count: 10 }), []);
    // A failed item cannot be rescheduled back to life by a late sender.
    await queue.reschedule(r1!.id, T, 'late');
    assert.equal(await queue.countPending(a), 0);

    assert.equal(await queue.retry(`app-${hex()}`, r1!.id, T + 5), false, 'only the owning app');
    assert.equal(await queue.retry(a, r1!.id, T + 5), true);
    assert.equal(await queue.retry(a, r1!.id, T + 5), false, 'no longer failed');
    const [back] = await queue.claim(T + 5, 1, 10);
    assert.deepEqual([back!.id, back!.attempts, back!.createdAt, back!.status], [r1!.id, 0, T + 5, 'pending']);
    await queue.done(back!.id);
    assert.equal((await queue.listFailed(a, { skip: 0, count: 10 })).length, 1);
  });

  test(`${name} queue: concurrent claimers get disjoint items; deleting the app empties its queue`, async () => {
    const store = get();
    const queue = use.of(store);
    const app = newApp();
    await store.apps.create(app);
    await queue.enqueue(Array.from({ length: 20 }, () => item(app.id)));
    const other = open();
    await other.migrate();
    try {
      const [x, y] = await Promise.all([queue.claim(T, 60_000, 12), use.of(other).claim(T, 60_000, 12)]);
      const ids = [...x, ...y].map((w) => w.id);
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20, 'no item claimed twice');
    } finally {
      await other.close();
    }
    const fail = (await queue.claim(T + 60_000, 1, 1))[0]!;
    await queue.fail(fail.id, 'x');
    assert.equal(await store.apps.delete(app.id), true);
    assert.equal(await queue.countPending(app.id), 0);
    assert.deepEqual(await queue.listFailed(app.id, { skip: 0, count: 10 }), []);
  });
}

/** The queues share one table: none sees, or changes, another's items. */
export function queuesApartContract({ get }: ContractStores): void {
  test('queues are apart: claims, counts, done, fail and retry stay within their queue', async () => {
    const store = get();
    const a = `app-${hex()}`;
    await store.webhooks.enqueue([webhookUse.item(a)]);
    await store.notifications.enqueue([notificationUse.item(a)]);
    assert.equal(await store.webhooks.countPending(a), 1);
    assert.equal(await store.notifications.countPending(a), 1);
    const [w] = await store.webhooks.claim(T, 60_000, 10);
    const [n] = await store.notifications.claim(T, 60_000, 10);
    assert.ok(w && 'url' in w, 'the webhook queue gives its webhook');
    assert.ok(n && 'kind' in n, 'the notification queue gives its notification');

    // Ids are one sequence; through the other queue they change nothing.
    await store.notifications.done(w.id);
    await store.notifications.fail(w.id, 'wrong queue');
    await store.webhooks.done(n.id);
    await store.webhooks.fail(n.id, 'wrong queue');
    assert.equal(await store.webhooks.countPending(a), 1);
    assert.equal(await store.notifications.countPending(a), 1);
    await store.webhooks.fail(w.id, 'gave up');
    assert.deepEqual(await store.notifications.listFailed(a, { skip: 0, count: 10 }), []);
    assert.equal(await store.notifications.retry(a, w.id, T), false);
    assert.equal((await store.webhooks.listFailed(a, { skip: 0, count: 10 }))[0]?.id, w.id);
    await store.notifications.done(n.id);
    assert.equal(await store.notifications.countPending(a), 0);
    assert.equal(await store.webhooks.retry(a, w.id, T), true);
    await drain(store.webhooks, T + 60_000);
  });
}
