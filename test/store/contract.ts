// The store contract, written once per role and run against every implementation (see store.test.ts):
// the lifecycle here, then apps, the event log, notification targets and each durable queue.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Stores } from '../../src/store/stores.ts';
import { appsContract } from './apps-contract.ts';
import { eventLogContract } from './event-log-contract.ts';
import { notificationUse, queueContract, queuesApartContract, webhookUse } from './queue-contract.ts';
import { targetsContract } from './targets-contract.ts';

export interface StoreHarness {
  /** A new, not yet migrated instance on the same database each call. */
  open(): Stores;
  /** Removes the database after the suite (temp file, test schema). */
  cleanup(): Promise<void>;
}

export function contractSuite(name: string, harness: StoreHarness | { skip: string }): void {
  describe(name, { skip: 'skip' in harness ? harness.skip : false }, () => {
    if ('skip' in harness) return;
    let store: Stores;
    const stores = { get: () => store, open: () => harness.open() };

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

    describe('apps', () => appsContract(stores));
    describe('event log', () => eventLogContract(stores));
    describe('notification targets', () => targetsContract(stores));
    describe('webhook queue', () => queueContract(stores, webhookUse));
    describe('notification queue', () => queueContract(stores, notificationUse));
    describe('queues share a table', () => queuesApartContract(stores));
  });
}
