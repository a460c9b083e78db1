// Wraps a Store so every write is timed (pushi_store_write_duration_seconds) and every failure
// logged — one place for "store errors" and "app created/deleted" log lines, whoever calls.
import type { Logger } from 'pino';
import { type Store, StoreConflictError } from '../store/store.ts';

const WRITES = new Set<string>([
  'createApp',
  'updateApp',
  'deleteApp',
  'addSubscription',
  'removeSubscription',
  'appendEvents',
  'prune',
  'enqueueWebhooks',
  'claimWebhooks',
  'webhookDelivered',
  'rescheduleWebhook',
  'failWebhook',
  'retryWebhook',
]);
/** One log line per operation per interval while a store stays down. */
const LOG_EVERY_MS = 5000;

export interface StoreWriteObserver {
  storeWrite(op: string, seconds: number, ok: boolean): void;
}

export function instrumentStore(store: Store, logger: Logger, metrics?: StoreWriteObserver): Store {
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  const logFailure = (op: string, err: unknown) => {
    const now = Date.now();
    const seen = lastLogged.get(op);
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    lastLogged.set(op, { at: now, suppressed: 0 });
    const e = err as Error;
    logger.error(
      {
        op,
        store: store.kind,
        error: e?.constructor?.name,
        err: e?.message ?? String(err),
        suppressed: seen?.suppressed ?? 0,
      },
      'store error',
    );
  };
  const wrapped = new WeakMap<object, unknown>(); // by function: a method replaced later is wrapped afresh
  const done = (op: string, args: unknown[], started: bigint, ok: boolean, result: unknown) => {
    if (WRITES.has(op)) metrics?.storeWrite(op, Number(process.hrtime.bigint() - started) / 1e9, ok);
    if (!ok) {
      // A conflict is the caller's answer (409), not a store problem.
      if (!(result instanceof StoreConflictError) && op !== 'close') logFailure(op, result);
    } else if (op === 'createApp') {
      const app = args[0] as { id: string; name: string };
      logger.info({ appId: app.id, name: app.name }, 'app created');
    } else if (op === 'deleteApp' && result === true) logger.info({ appId: args[0] }, 'app deleted');
  };
  // Store methods return promises; anything synchronous a store adds passes through untouched.
  const wrap =
    (op: string, fn: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const started = process.hrtime.bigint();
      let result: unknown;
      try {
        result = fn.apply(store, args);
      } catch (err) {
        done(op, args, started, false, err);
        throw err;
      }
      if (!(result instanceof Promise)) return result;
      return result.then(
        (value) => {
          done(op, args, started, true, value);
          return value;
        },
        (err) => {
          done(op, args, started, false, err);
          throw err;
        },
      );
    };
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      if (prop === 'constructor') return value;
      let fn = wrapped.get(value);
      if (!fn) {
        fn = wrap(prop, value as (...args: unknown[]) => unknown);
        wrapped.set(value, fn);
      }
      return fn;
    },
  });
}
