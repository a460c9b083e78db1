// How the server treats a store that stops answering, on a mocked clock (the deadlines are the
// point, so the clock is the test's): reads fail fast only while two are overdue, /ready stays 503 for
// a second after a store call found the store unavailable, and cached apps are served stale within
// their bound and waited for past it (docs/configuration.md, docs/operations.md).
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { withStoreDeadlines } from '../../src/store/deadline.ts';
import { StoreReadiness } from '../../src/store/readiness.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { role } from '../../src/store/role.ts';
import type { Stores } from '../../src/store/stores.ts';
import type { AppRecord } from '../../src/store/apps-store.ts';
import { newAppRecord, StoreAppSource } from '../../src/apps/store-source.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_800_000_000_000 }));
afterEach(() => mock.timers.reset());

/** Lets settled promises' callbacks run (the mocked clock does not move). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A promise's state without waiting for it. */
function watch<T>(p: Promise<T>) {
  const seen: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (value) => Object.assign(seen, { value, done: true }),
    (error: unknown) => Object.assign(seen, { error, done: true }),
  );
  return seen;
}

/** Store calls that answer only when the test says so. */
function hangingCalls<T>() {
  const answers: ((value: T) => void)[] = [];
  let calls = 0;
  return {
    call: () => {
      calls++;
      return new Promise<T>((resolve) => answers.push(resolve));
    },
    answer: (i: number, value: T) => answers[i](value),
    get calls() {
      return calls;
    },
  };
}

test('withStoreDeadlines: reads fail at once only while two are overdue; writes always get their deadline', async () => {
  const reads = hangingCalls<string>();
  const writes = hangingCalls<void>();
  const fake = {
    kind: 'fake',
    apps: role({ get: reads.call }, { create: writes.call }),
    ping: () => Promise.resolve(),
  } as unknown as Stores;
  const unavailable: string[] = [];
  const stores = withStoreDeadlines(fake, { readMs: 1000, writeMs: 5000 }, (err) => unavailable.push(err.message));
  const get = () => watch(stores.apps.get('x') as Promise<unknown>);

  const first = get();
  mock.timers.tick(500);
  const second = get();
  mock.timers.tick(500);
  await settle();
  assert.ok(first.error instanceof StoreUnavailableError);
  assert.match(String(first.error), /fake unavailable \(apps\.get\): no answer within 1000 ms/);
  assert.equal(second.done, false, 'one read overdue: the next still gets its full deadline');

  mock.timers.tick(500);
  await settle();
  assert.ok(second.error instanceof StoreUnavailableError);
  const third = get();
  await settle();
  assert.match(String(third.error), /fake unavailable \(apps\.get\): not answering/);
  assert.equal(reads.calls, 2, 'failed without asking the store');

  // A write is never failed fast, overdue reads or not.
  const write = watch(stores.apps.create(newAppRecord('w')) as Promise<void>);
  await settle();
  assert.equal(write.done, false);
  writes.answer(0, undefined);
  await settle();
  assert.deepEqual(write, { value: undefined, done: true });

  // The store answers the first overdue read: one left overdue, so reads are tried again.
  reads.answer(0, 'late');
  await settle();
  const fourth = get();
  await settle();
  assert.equal(fourth.done, false);
  assert.equal(reads.calls, 3);
  reads.answer(2, 'fresh');
  await settle();
  assert.equal(fourth.value, 'fresh');
  assert.equal(unavailable.length, 3);
});

test('StoreReadiness: not ready for a second after a store call found the store unavailable', async () => {
  const readiness = new StoreReadiness();
  let pings = 0;
  const check = readiness.check({ ping: async () => void pings++ });
  await check.check();
  readiness.failed(new StoreUnavailableError('postgres unavailable (events.append): no answer within 5000 ms'));
  await assert.rejects(check.check(), /events\.append/);
  mock.timers.tick(999);
  await assert.rejects(check.check(), /events\.append/);
  assert.equal(pings, 1, 'not ready whatever a ping would say');
  mock.timers.tick(1);
  await check.check();
  assert.equal(pings, 2);
});

test('StoreAppSource: a stalled store gets the cached app within maxStaleMs, and is waited for past it', async () => {
  const rec: AppRecord = newAppRecord('one');
  const reads = hangingCalls<AppRecord | undefined>();
  const source = new StoreAppSource(
    { get: reads.call, getByKey: reads.call, list: async () => [] },
    { ttlMs: 2000, maxStaleMs: 60_000, graceMs: 50 },
  );
  const first = watch(source.findById(rec.id));
  reads.answer(0, rec);
  await settle();
  const cached = first.value!;
  assert.equal(cached.name, 'one');

  // Past its lifetime, within maxStaleMs: the store does not answer, the copy is served after the grace.
  mock.timers.tick(2000);
  const stale = watch(source.findById(rec.id));
  await settle();
  assert.equal(stale.done, false, 'the store gets its grace period');
  mock.timers.tick(50);
  await settle();
  assert.equal(stale.value, cached);

  // Past maxStaleMs the copy is too old to vouch for: the lookup waits for the store's answer.
  mock.timers.tick(60_000);
  const waited = watch(source.findById(rec.id));
  mock.timers.tick(10_000);
  await settle();
  assert.equal(waited.done, false);
  reads.answer(reads.calls - 1, { ...rec, name: 'renamed' });
  await settle();
  assert.equal(waited.value?.name, 'renamed');
});
