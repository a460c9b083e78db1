// The notification targets role's contract, run against every implementation (see store.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { NotifyTarget } from '../../src/store/targets-store.ts';
import type { ContractStores } from './records.ts';

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

const ids = (list: NotifyTarget[]) => list.map((t) => `${t.channel}|${t.kind}|${t.address}`);

export function targetsContract({ get }: ContractStores): void {
  test('targets: add is idempotent and refreshes details; list and remove by channel, kind, address', async () => {
    const targets = get().targets;
    const a = `app-${hex()}`;
    assert.equal(await targets.hasAny(a), false);
    assert.equal(await targets.add(target(a, 'news', 'web_push', 'https://push/1', { p256dh: 'k1' })), true);
    assert.equal(await targets.add(target(a, 'news', 'web_push', 'https://push/1', { p256dh: 'k2' })), false);
    await targets.add(target(a, 'news', 'email', 'a@example.com'));
    await targets.add(target(a, 'sport', 'web_push', 'https://push/1', { p256dh: 'k2' }));
    await targets.add(target(a, 'sport', 'apns', 'abcd'));
    await targets.add(target(`other-${hex()}`, 'news', 'email', 'a@example.com'));
    assert.equal(await targets.hasAny(a), true);

    const all = await targets.list(a, {});
    assert.deepEqual(ids(all), [
      'news|email|a@example.com',
      'news|web_push|https://push/1',
      'sport|apns|abcd',
      'sport|web_push|https://push/1',
    ]);
    assert.deepEqual(all[1]!.target, { address: 'https://push/1', p256dh: 'k2' }, 'details refreshed');
    assert.equal(all[1]!.createdAt, T);
    assert.deepEqual(ids(await targets.list(a, { channel: 'news' })), [
      'news|email|a@example.com',
      'news|web_push|https://push/1',
    ]);
    assert.deepEqual(ids(await targets.list(a, { kind: 'web_push', address: 'https://push/1' })), [
      'news|web_push|https://push/1',
      'sport|web_push|https://push/1',
    ]);
    assert.deepEqual(await targets.list(a, { channel: 'nope' }), []);

    await assert.rejects(targets.remove(a, {}), TypeError);
    // By target, on every channel; another app's same address stays.
    assert.deepEqual(ids(await targets.remove(a, { kind: 'web_push', address: 'https://push/1' })), [
      'news|web_push|https://push/1',
      'sport|web_push|https://push/1',
    ]);
    assert.deepEqual(ids(await targets.remove(a, { channel: 'sport' })), ['sport|apns|abcd']);
    assert.deepEqual(await targets.remove(a, { channel: 'sport' }), []);
    assert.deepEqual(ids(await targets.list(a, {})), ['news|email|a@example.com']);
    assert.deepEqual(ids(await targets.remove(a, { channel: 'news', kind: 'email', address: 'a@example.com' })), [
      'news|email|a@example.com',
    ]);
    assert.equal(await targets.hasAny(a), false);
  });

  test('forChannels: targets on the channels and on personal channels of subscribed users', async () => {
    const store = get();
    const targets = store.targets;
    const a = `app-${hex()}`;
    await targets.add(target(a, 'orders', 'email', 'direct@x'));
    await targets.add(target(a, 'personal-u1', 'apns', 'tok1'));
    await targets.add(target(a, 'personal-u2', 'apns', 'tok2'));
    await targets.add(target(a, 'personal-u3', 'apns', 'tok3'));
    await targets.add(target(a, 'other', 'email', 'other@x'));
    await store.events.addSubscription(a, 'u1', 'orders');
    await store.events.addSubscription(a, 'u2', 'orders');
    await store.events.addSubscription(a, 'u2', 'news');
    await store.events.addSubscription(a, 'u3', 'other');
    const got = (await targets.forChannels(a, ['orders', 'news']))
      .map((t) => `${t.via}>${t.channel}|${t.address}`)
      .sort();
    assert.deepEqual(got, [
      'news>personal-u2|tok2',
      'orders>orders|direct@x',
      'orders>personal-u1|tok1',
      'orders>personal-u2|tok2',
    ]);
    assert.deepEqual(await targets.forChannels(a, []), []);
    assert.deepEqual(await targets.forChannels(a, ['nothing']), []);
    // Triggers on a personal channel itself reach its targets.
    assert.deepEqual(
      (await targets.forChannels(a, ['personal-u3'])).map((t) => t.address),
      ['tok3'],
    );
  });
}
