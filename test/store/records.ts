// Fresh records for the store contracts: unique ids, a clock that only moves forward.
import { randomBytes } from 'node:crypto';
import type { AppRecord } from '../../src/store/apps-store.ts';
import type { NewEvent } from '../../src/store/event-log.ts';
import type { Stores } from '../../src/store/stores.ts';

export const hex = (n = 6) => randomBytes(n).toString('hex');
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

/** How a role contract reaches the store under test. */
export interface ContractStores {
  /** The suite's migrated store. */
  get(): Stores;
  /** A new, not yet migrated instance on the same database (another node or process). */
  open(): Stores;
}
