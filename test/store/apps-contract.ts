// The apps role's contract, run against every implementation (see store.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreConflictError } from '../../src/store/errors.ts';
import { type ContractStores, hex, newApp, newEvent } from './records.ts';

export function appsContract({ get }: ContractStores): void {
  test('apps: create, read, update, delete, conflicts', async () => {
    const apps = get().apps;
    const app = newApp({ options: { persist: true, historyCount: 5 }, enabled: false });
    await apps.create(app);
    assert.deepEqual(await apps.get(app.id), app);
    assert.deepEqual(await apps.getByKey(app.key), app);
    assert.ok((await apps.list()).some((a) => a.id === app.id));
    assert.equal(await apps.get('nope-' + hex()), undefined);
    assert.equal(await apps.getByKey('nope-' + hex()), undefined);

    await assert.rejects(apps.create({ ...newApp(), id: app.id }), StoreConflictError);
    await assert.rejects(apps.create({ ...newApp(), key: app.key }), StoreConflictError);

    const updated = await apps.update(app.id, {
      name: 'Renamed',
      enabled: true,
      options: { clientEvents: true },
    });
    assert.deepEqual(updated, { ...app, name: 'Renamed', enabled: true, options: { clientEvents: true } });
    assert.deepEqual(await apps.get(app.id), updated);
    assert.deepEqual(await apps.update(app.id, {}), updated);
    assert.equal(await apps.update('nope-' + hex(), { name: 'x' }), undefined);

    const other = newApp();
    await apps.create(other);
    await assert.rejects(apps.update(app.id, { key: other.key }), StoreConflictError);

    assert.equal(await apps.delete(app.id), true);
    assert.equal(await apps.delete(app.id), false);
    assert.equal(await apps.get(app.id), undefined);
    assert.ok(await apps.get(other.id));
  });

  test('apps: delete removes everything stored for the app, and nothing of another', async () => {
    const store = get();
    const app = newApp();
    const keep = newApp();
    const T = 1_850_000_000_000;
    for (const x of [app, keep]) {
      await store.apps.create(x);
      await store.events.addSubscription(x.id, 'u', 'c');
      await store.events.append([newEvent(x.id, 'c'), newEvent(x.id, 'c')]);
      await store.targets.add({ appId: x.id, channel: 'c', kind: 'email', address: 'x@y', target: {}, createdAt: T });
      await store.webhooks.enqueue([{ appId: x.id, url: 'http://h', body: '{}', createdAt: T, nextAttemptAt: T }]);
      const note = { kind: 'email', address: 'x@y', target: {}, body: '{}' };
      await store.notifications.enqueue([{ appId: x.id, ...note, createdAt: T, nextAttemptAt: T }]);
    }
    // A failed webhook is kept for the API: it goes with the app too.
    const [failed] = (await store.webhooks.claim(T, 60_000, 10)).filter((w) => w.appId === app.id);
    await store.webhooks.fail(failed!.id, 'x');

    assert.equal(await store.apps.delete(app.id), true);
    assert.deepEqual(await store.events.listSubscriptions(app.id, {}), []);
    assert.deepEqual(await store.events.channelEvents(app.id, 'c', { skip: 0, count: 10 }), []);
    assert.deepEqual(await store.events.userEvents(app.id, 'u', { skip: 0, count: 10 }), []);
    assert.equal(await store.targets.hasAny(app.id), false);
    assert.equal(await store.webhooks.countPending(app.id), 0);
    assert.deepEqual(await store.webhooks.listFailed(app.id, { skip: 0, count: 10 }), []);
    assert.equal(await store.notifications.countPending(app.id), 0);

    assert.equal((await store.events.userEvents(keep.id, 'u', { skip: 0, count: 10 })).length, 2);
    assert.equal((await store.events.listSubscriptions(keep.id, {})).length, 1);
    assert.equal(await store.targets.hasAny(keep.id), true);
    assert.equal(await store.notifications.countPending(keep.id), 1);
    // Leaves no due item behind for the queue contracts (claims are per queue, not per app).
    for (const queue of [store.webhooks, store.notifications])
      for (const item of await queue.claim(T + 60_000, 1, 100)) await queue.done(item.id);
    await store.apps.delete(keep.id);
  });
}
