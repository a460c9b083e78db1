// Retention in the background: a bound on stored events per channel and an age limit, per app.
import type { Logger } from 'pino';
import { resolveOptions } from '../apps/app.ts';
import type { Store } from '../store/store.ts';

export function startRetention(store: Store, logger: Logger, intervalMs = 60_000): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      for (const rec of await store.listApps()) {
        const o = resolveOptions(rec.options);
        const removed = await store.prune({
          appId: rec.id,
          maxPerChannel: o.maxStoredEventsPerChannel,
          maxAgeMs: o.maxStoredEventAge * 1000,
        });
        if (removed > 0) logger.info({ appId: rec.id, removed }, 'retention removed stored events');
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'retention pass failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  const first = setTimeout(run, Math.min(1000, intervalMs));
  first.unref();
  // Both must stop with the server: a pass after close would only meet a closed store.
  return () => {
    clearInterval(timer);
    clearTimeout(first);
  };
}
