// The durable webhook queue part of the Store contract (called from contract.ts for every store).
// Each test leaves no pending row behind: claims are global, not per app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { NewWebhookDelivery, Store } from '../../src/store/store.ts';

const hex = () => randomBytes(6).toString('hex');
const T = 1_800_000_000_000;

function delivery(appId: string, over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery {
  return {
    appId,
    url: 'http://127.0.0.1:1/hook',
    body: `{"time_ms":1,"events":[{"n":"${hex()}"}]}`,
    createdAt: T,
    nextAttemptAt: T,
    ...over,
  };
}

/** Claims everything due at `now` and marks it delivered (cleanup). */
async function drain(store: Store, now: number): Promise<void> {
  for (const w of await store.claimWebhooks(now, 1, 1000)) await store.webhookDelivered(w.id);
}

export function webhookQueueTests(get: () => Store, open: () => Store): void {
  test('webhook queue: enqueue, claim due rows under a lease, deliver', async () => {
    const store = get();
    const a = `app-${hex()}`;
    const b = `app-${hex()}`;
    const items = [delivery(a), delivery(b), delivery(a, { nextAttemptAt: T + 5000 })];
    await store.enqueueWebhooks(items);
    await store.enqueueWebhooks([]);
    assert.equal(await store.countPendingWebhooks(a), 2);
    assert.equal(await store.countPendingWebhooks(b), 1);
    assert.ok((await store.countPendingWebhooks()) >= 3);

    const claimed = await store.claimWebhooks(T, 1000, 10);
    assert.deepEqual(
      claimed.map((w) => [w.appId, w.body]),
      [
        [a, items[0]!.body],
        [b, items[1]!.body],
      ],
    );
    assert.ok(claimed[0]!.id < claimed[1]!.id);
    for (const w of claimed) {
      assert.equal(w.status, 'pending');
      assert.equal(w.attempts, 0);
      assert.equal(w.lastError, null);
      assert.equal(w.url, 'http://127.0.0.1:1/hook');
      assert.equal(w.createdAt, T);
      assert.equal(w.nextAttemptAt, T + 1000);
    }
    assert.deepEqual(await store.claimWebhooks(T + 999, 1000, 10), [], 'leased rows are not claimed again');
    const again = await store.claimWebhooks(T + 1000, 1000, 1);
    assert.deepEqual(
      again.map((w) => w.id),
      [claimed[0]!.id],
      'an expired lease is claimable; limit respected',
    );

    await store.webhookDelivered(claimed[0]!.id);
    await store.webhookDelivered(claimed[1]!.id);
    assert.equal(await store.countPendingWebhooks(a), 1);
    assert.equal(await store.countPendingWebhooks(b), 0);
    await drain(store, T + 10_000);
    assert.equal(await store.countPendingWebhooks(a), 0);
  });

  test('webhook queue: reschedule counts attempts, fail keeps the row for the API, retry requeues', async () => {
    const store = get();
    const a = `app-${hex()}`;
    await store.enqueueWebhooks([delivery(a), delivery(a)]);
    const [w1, w2] = await store.claimWebhooks(T, 60_000, 10);
    await store.rescheduleWebhook(w1!.id, T + 100, 'HTTP 500');
    await store.rescheduleWebhook(w2!.id, T + 100, null, false); // a lease given back, no attempt
    const [r1, r2] = await store.claimWebhooks(T + 100, 60_000, 10);
    assert.equal(r1!.attempts, 1);
    assert.equal(r1!.lastError, 'HTTP 500');
    assert.equal(r2!.attempts, 0);
    assert.equal(r2!.lastError, null);

    await store.failWebhook(r1!.id, 'timeout');
    await store.failWebhook(r2!.id, 'refused');
    assert.equal(await store.countPendingWebhooks(a), 0);
    assert.deepEqual(await store.claimWebhooks(T + 1e9, 1, 10).then((l) => l.filter((w) => w.appId === a)), []);
    const failed = await store.listFailedWebhooks(a, { skip: 0, count: 10 });
    assert.deepEqual(
      failed.map((w) => [w.id, w.status, w.attempts, w.lastError]),
      [
        [r2!.id, 'failed', 1, 'refused'],
        [r1!.id, 'failed', 2, 'timeout'],
      ],
    );
    assert.deepEqual(
      (await store.listFailedWebhooks(a, { skip: 1, count: 10 })).map((w) => w.id),
      [r1!.id],
    );
    assert.deepEqual(await store.listFailedWebhooks(`app-${hex()}`, { skip: 0, count: 10 }), []);
    // A failed row cannot be rescheduled back to life by a late sender.
    await store.rescheduleWebhook(r1!.id, T, 'late');
    assert.equal(await store.countPendingWebhooks(a), 0);

    assert.equal(await store.retryWebhook(`app-${hex()}`, r1!.id, T + 5), false, 'only the owning app');
    assert.equal(await store.retryWebhook(a, r1!.id, T + 5), true);
    assert.equal(await store.retryWebhook(a, r1!.id, T + 5), false, 'no longer failed');
    const [back] = await store.claimWebhooks(T + 5, 1, 10);
    assert.deepEqual([back!.id, back!.attempts, back!.createdAt, back!.status], [r1!.id, 0, T + 5, 'pending']);
    await store.webhookDelivered(back!.id);
    assert.equal((await store.listFailedWebhooks(a, { skip: 0, count: 10 })).length, 1);
  });

  test('webhook queue: concurrent claimers get disjoint rows; deleteApp removes the queue', async () => {
    const store = get();
    const a = `app-${hex()}`;
    await store.createApp({
      id: a,
      key: `key-${hex()}`,
      secret: 's',
      name: a,
      enabled: true,
      options: {},
      createdAt: T,
    });
    await store.enqueueWebhooks(Array.from({ length: 20 }, () => delivery(a)));
    const other = open();
    await other.migrate();
    try {
      const [x, y] = await Promise.all([store.claimWebhooks(T, 60_000, 12), other.claimWebhooks(T, 60_000, 12)]);
      const ids = [...x, ...y].map((w) => w.id);
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20, 'no row claimed twice');
    } finally {
      await other.close();
    }
    const fail = (await store.claimWebhooks(T + 60_000, 1, 1))[0]!;
    await store.failWebhook(fail.id, 'x');
    assert.equal(await store.deleteApp(a), true);
    assert.equal(await store.countPendingWebhooks(a), 0);
    assert.deepEqual(await store.listFailedWebhooks(a, { skip: 0, count: 10 }), []);
  });
}
