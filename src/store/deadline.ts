// Deadlines on store calls. A database that stops answering without refusing (a black-holed network,
// a hung server) would otherwise hold every caller for as long as TCP takes to give up (minutes):
// each call here answers StoreUnavailableError past its deadline instead. The work itself is not
// cancelled (the driver's own timeouts reclaim its connection); only the caller stops waiting.
import { StoreUnavailableError } from './errors.ts';
import { type Method, wrapRoles } from './role.ts';
import type { Stores } from './stores.ts';

export interface StoreDeadlines {
  /** Reads and the readiness ping, in ms. */
  readMs: number;
  /** Writes (appending acknowledged events, queue updates, app changes), in ms. */
  writeMs: number;
}

export const DEFAULT_DEADLINES: StoreDeadlines = { readMs: 1000, writeMs: 5000 };

/** Rejects with StoreUnavailableError if `work` has not settled within `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string, onLate?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate?.();
      reject(new StoreUnavailableError(`${what}: no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Reads overdue at once that mean "not answering" rather than one slow query (a large page). */
const OVERDUE_READS_TO_FAIL_FAST = 2;

/**
 * The store with a deadline on every role call and on the readiness ping (migrate and close wait as
 * long as they take). Which calls are writes comes from how each role was built (store/role.ts).
 * While reads are overdue (past their deadline, still not answered), other reads fail at once: the
 * store is evidently not answering, and a subscribe or an app lookup should not wait a full deadline
 * each to learn it. Writes always get their full deadline, and a slow write or readiness ping
 * (SQLite's may start the writer thread) does not make reads fail.
 */
export function withStoreDeadlines(
  stores: Stores,
  deadlines: StoreDeadlines,
  onUnavailable?: (err: StoreUnavailableError) => void,
): Stores {
  let overdue = 0;
  const unavailable = (err: unknown) => {
    if (err instanceof StoreUnavailableError) onUnavailable?.(err);
    throw err;
  };
  const bounded =
    (op: string, fn: Method, write: boolean, trips = !write): Method =>
    (...args) => {
      if (trips && overdue >= OVERDUE_READS_TO_FAIL_FAST) {
        const err = new StoreUnavailableError(`${stores.kind} unavailable (${op}): not answering`);
        return Promise.reject(err).catch(unavailable);
      }
      const result = fn(...args);
      if (!(result instanceof Promise)) return result;
      let late = false;
      // Counted until the store finally answers (or its driver gives up), whatever the caller saw.
      if (trips)
        result.then(
          () => late && overdue--,
          () => late && overdue--,
        );
      const ms = write ? deadlines.writeMs : deadlines.readMs;
      return withDeadline(result, ms, `${stores.kind} unavailable (${op})`, () => {
        late = trips;
        if (trips) overdue++;
      }).catch(unavailable);
    };
  return Object.assign(wrapRoles(stores, bounded), {
    ping: bounded('ping', () => stores.ping(), false, false),
  }) as Stores;
}
