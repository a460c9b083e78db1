// Notification targets and their queue: part of the Store contract (called from contract.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { NewNotification, NotifyTarget, Store } from '../../src/store/store.ts';

const hex = () => randomBytes(6).toString('hex');
const T = 1_900_000_000_000;

function target(
  appId: string,
  channel: string,
  kind: string,
  address: string,
  extra: Record<string, unknown> = {},
): NotifyTarget {
  return { appId, channel, kind, address, target: { address, ...extra }, createdAt: T };
}

function note(appId: string, over: Partial<NewNotification> = {}): NewNotification {
  return {
    appId,
    kind: 'webhook',
    address: 'http://127.0.0.1:1/x',
    target: { url: 'http://127.0.0.1:1/x' },
    body: `{"n":"${hex()}"}`,
    createdAt: T,
    nextAttemptAt: T,
    ...over,
  };
}

const ids = (list: NotifyTarget[]) => list.map((t) => `${t.channel}|${t.kind}|${t.address}`);

export function notifyTests(get: () => Store, open: () => Store): void {
  test('targets: add is idempotent and refreshes details; list and remove by channel, kind, address', async () => {
    const store = get();
    const a = `app-${hex()}`;
    assert.equal(await store.hasTargets(a), false);
    assert.equal(await store.addTarget(target(a, 'news', 'web_push', 'https://push/1', { p256dh: 'k1' })), true);
    assert.equal(await store.addTarget(target(a, 'news', 'web_push', 'https://push/1', { p256dh: 'k2' })), false);
    await store.addTarget(target(a, 'news', 'email', 'a@example.com'));
    await store.addTarget(target(a, 'sport', 'web_push', 'https://push/1', { p256dh: 'k2' }));
    await store.addTarget(target(a, 'sport', 'apns', 'abcd'));
    await store.addTarget(target(`other-${hex()}`, 'news', 'email', 'a@example.com'));
    assert.equal(await store.hasTargets(a), true);

    const all = await store.listTargets(a, {});
    assert.deepEqual(ids(all), [
      'news|email|a@example.com',
      'news|web_push|https://push/1',
      'sport|apns|abcd',
      'sport|web_push|https://push/1',
    ]);
    assert.deepEqual(all[1]!.target, { address: 'https://push/1', p256dh: 'k2' }, 'details refreshed');
    assert.equal(all[1]!.createdAt, T);
    assert.deepEqual(ids(await store.listTargets(a, { channel: 'news' })), [
      'news|email|a@example.com',
      'news|web_push|https://push/1',
    ]);
    assert.deepEqual(ids(await store.listTargets(a, { kind: 'web_push', address: 'https://push/1' })), [
      'news|web_push|https://push/1',
      'sport|web_push|https://push/1',
    ]);
    assert.deepEqual(await store.listTargets(a, { channel: 'nope' }), []);

    await assert.rejects(store.removeTargets(a, {}), TypeError);
    // By target, on every channel; another app's same address stays.
    assert.deepEqual(ids(await store.removeTargets(a, { kind: 'web_push', address: 'https://push/1' })), [
      'news|web_push|https://push/1',
      'sport|web_push|https://push/1',
    ]);
    assert.deepEqual(ids(await store.removeTargets(a, { channel: 'sport' })), ['sport|apns|abcd']);
    assert.deepEqual(await store.removeTargets(a, { channel: 'sport' }), []);
    assert.deepEqual(ids(await store.listTargets(a, {})), ['news|email|a@example.com']);
    assert.deepEqual(ids(await store.removeTargets(a, { channel: 'news', kind: 'email', address: 'a@example.com' })), [
      'news|email|a@example.com',
    ]);
    assert.equal(await store.hasTargets(a), false);
  });

  test('targetsFor: targets on the channels and on personal channels of subscribed users', async () => {
    const store = get();
    const a = `app-${hex()}`;
    await store.addTarget(target(a, 'orders', 'email', 'direct@x'));
    await store.addTarget(target(a, 'personal-u1', 'apns', 'tok1'));
    await store.addTarget(target(a, 'personal-u2', 'apns', 'tok2'));
    await store.addTarget(target(a, 'personal-u3', 'apns', 'tok3'));
    await store.addTarget(target(a, 'other', 'email', 'other@x'));
    await store.addSubscription(a, 'u1', 'orders');
    await store.addSubscription(a, 'u2', 'orders');
    await store.addSubscription(a, 'u2', 'news');
    await store.addSubscription(a, 'u3', 'other');
    const got = (await store.targetsFor(a, ['orders', 'news'])).map((t) => `${t.via}>${t.channel}|${t.address}`).sort();
    assert.deepEqual(got, [
      'news>personal-u2|tok2',
      'orders>orders|direct@x',
      'orders>personal-u1|tok1',
      'orders>personal-u2|tok2',
    ]);
    assert.deepEqual(await store.targetsFor(a, []), []);
    assert.deepEqual(await store.targetsFor(a, ['nothing']), []);
    // Triggers on a personal channel itself reach its targets.
    assert.deepEqual(
      (await store.targetsFor(a, ['personal-u3'])).map((t) => t.address),
      ['tok3'],
    );
  });

  test('notification queue: lease, reschedule, done, count; deleteApp clears targets and queue', async () => {
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
    await store.enqueueNotifications([
      note(a, { kind: 'web_push', target: { endpoint: 'e', p256dh: 'p', auth: 'x' } }),
      note(a),
      note(a, { nextAttemptAt: T + 500 }),
    ]);
    await store.enqueueNotifications([]);
    assert.equal(await store.countPendingNotifications(a), 3);
    const claimed = await store.claimNotifications(T, 60_000, 10);
    const mine = claimed.filter((n) => n.appId === a);
    assert.equal(mine.length, 2, 'only due rows');
    assert.deepEqual(mine[0]!.target, { endpoint: 'e', p256dh: 'p', auth: 'x' });
    assert.equal(mine[0]!.kind, 'web_push');
    assert.equal(mine[0]!.nextAttemptAt, T + 60_000);
    assert.deepEqual(
      (await store.claimNotifications(T + 100, 60_000, 10)).filter((n) => n.appId === a),
      [],
      'leased rows are not claimed again',
    );

    await store.rescheduleNotification(mine[0]!.id, T + 1000, 'HTTP 500');
    await store.rescheduleNotification(mine[1]!.id, T + 1000, null, false);
    const other = open();
    await other.migrate();
    let again;
    try {
      again = (await other.claimNotifications(T + 1000, 60_000, 10)).filter((n) => n.appId === a);
    } finally {
      await other.close();
    }
    assert.deepEqual(
      again.map((n) => [n.attempts, n.lastError]),
      [
        [1, 'HTTP 500'],
        [0, null],
        [0, null],
      ],
    );
    await store.notificationDone(again[0]!.id);
    assert.equal(await store.countPendingNotifications(a), 2);

    await store.addTarget(target(a, 'c', 'email', 'x@y'));
    assert.equal(await store.deleteApp(a), true);
    assert.equal(await store.countPendingNotifications(a), 0);
    assert.deepEqual(await store.listTargets(a, {}), []);
  });
}
