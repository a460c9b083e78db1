// Wraps the store's roles so every write is timed (pushi_store_write_duration_seconds) and every
// failure logged — one place for "store errors" and "app created/deleted" log lines, whoever calls.
// Which methods are writes comes from how each role was built (store/role.ts), not from a list here:
// a write added to a role's write interface is timed without touching this file.
import type { Logger } from 'pino';
import { StoreConflictError } from '../store/errors.ts';
import { type Method, wrapRoles } from '../store/role.ts';
import type { Stores } from '../store/stores.ts';
import { logThrottle } from './log-throttle.ts';

/** One log line per operation per interval while a store stays down. */
const LOG_EVERY_MS = 5000;

export interface StoreWriteObserver {
  /** `op` is role.method, e.g. "apps.create", "webhooks.claim", "notifications.done". */
  storeWrite(op: string, seconds: number, ok: boolean): void;
}

export function instrumentStore(stores: Stores, logger: Logger, metrics?: StoreWriteObserver): Stores {
  const pass = logThrottle<string>(LOG_EVERY_MS);
  const logFailure = (op: string, err: unknown) => {
    const suppressed = pass(op);
    if (suppressed === undefined) return;
    const e = err as Error;
    logger.error(
      {
        op,
        store: stores.kind,
        error: e?.constructor?.name,
        err: e?.message ?? String(err),
        suppressed,
      },
      'store error',
    );
  };
  const done = (op: string, write: boolean, args: unknown[], started: bigint, ok: boolean, result: unknown) => {
    if (write) metrics?.storeWrite(op, Number(process.hrtime.bigint() - started) / 1e9, ok);
    if (!ok) {
      // A conflict is the caller's answer (409), not a store problem.
      if (!(result instanceof StoreConflictError)) logFailure(op, result);
    } else if (op === 'apps.create') {
      const app = args[0] as { id: string; name: string };
      logger.info({ appId: app.id, name: app.name }, 'app created');
    } else if (op === 'apps.delete' && result === true) logger.info({ appId: args[0] }, 'app deleted');
  };
  const wrap =
    (op: string, fn: Method, write: boolean): Method =>
    (...args) => {
      const started = process.hrtime.bigint();
      let result: unknown;
      try {
        result = fn(...args);
      } catch (err) {
        done(op, write, args, started, false, err);
        throw err;
      }
      if (!(result instanceof Promise)) return result;
      return result.then(
        (value) => {
          done(op, write, args, started, true, value);
          return value;
        },
        (err) => {
          done(op, write, args, started, false, err);
          throw err;
        },
      );
    };
  // Lifecycle calls reach the original through the prototype; failures of migrate and ping are
  // logged (close is not: a store closed twice is no outage).
  const out = wrapRoles(stores, wrap);
  return Object.assign(out, {
    migrate: wrap('migrate', () => stores.migrate(), false),
    ping: wrap('ping', () => stores.ping(), false),
  }) as Stores;
}
