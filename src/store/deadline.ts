// Deadlines on store calls. A database that stops answering without refusing (a black-holed network,
// a hung server) would otherwise hold every caller for as long as TCP takes to give up (minutes):
// each call here answers StoreUnavailableError past its deadline instead. The work itself is not
// cancelled (the driver's own timeouts reclaim its connection); only the caller stops waiting.
import { StoreUnavailableError, type Store } from './store.ts';

export interface StoreDeadlines {
  /** Reads and the readiness ping, in ms. */
  readMs: number;
  /** Writes (appending acknowledged events, queue updates, app changes), in ms. */
  writeMs: number;
}

export const DEFAULT_DEADLINES: StoreDeadlines = { readMs: 1000, writeMs: 5000 };

/** Calls that change something; everything else is a read. */
const WRITES = new RegExp(
  '^(create|update|delete|add|remove|append|prune|enqueue|claim|reschedule|fail|retry|' +
    'webhookDelivered|notificationDone)',
);
/** Start-up and shutdown wait as long as they take. */
const UNBOUNDED = new Set(['migrate', 'close']);

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
 * The store with a deadline on every call. While reads are overdue (past their deadline, still not
 * answered), other reads fail at once: the store is evidently not answering, and a subscribe or an
 * app lookup should not wait a full deadline each to learn it. Writes always get their full
 * deadline, and a slow write or readiness ping (SQLite's may start the writer thread) does not
 * make reads fail.
 */
export function withStoreDeadlines(
  store: Store,
  deadlines: StoreDeadlines,
  onUnavailable?: (err: StoreUnavailableError) => void,
): Store {
  let overdue = 0;
  const unavailable = (err: unknown) => {
    if ((err as Error)?.name === 'StoreUnavailableError') onUnavailable?.(err as StoreUnavailableError);
    throw err;
  };
  const wrapped = new WeakMap<object, unknown>();
  const wrap =
    (op: string, fn: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): unknown => {
      const write = WRITES.test(op);
      if (!write && overdue >= OVERDUE_READS_TO_FAIL_FAST)
        return Promise.reject(new StoreUnavailableError(`${store.kind} unavailable (${op}): not answering`)).catch(
          unavailable,
        );
      const result = fn.apply(store, args);
      if (!(result instanceof Promise)) return result;
      let late = false;
      const trips = !write && op !== 'ping';
      const ms = write ? deadlines.writeMs : deadlines.readMs;
      // Counted until the store finally answers (or its driver gives up), whatever the caller saw.
      if (trips)
        result.then(
          () => late && overdue--,
          () => late && overdue--,
        );
      return withDeadline(result, ms, `${store.kind} unavailable (${op})`, () => {
        late = trips;
        if (trips) overdue++;
      }).catch(unavailable);
    };
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string' || UNBOUNDED.has(prop) || prop === 'constructor')
        return value;
      let fn = wrapped.get(value);
      if (!fn) {
        fn = wrap(prop, value as (...args: unknown[]) => unknown);
        wrapped.set(value, fn);
      }
      return fn;
    },
  });
}
