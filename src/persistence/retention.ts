// Retention in the background: a bound on stored events per channel and an age limit, per app.
import type { Logger } from 'pino';
import { resolveOptions } from '../apps/app.ts';
import type { AppsReads } from '../store/apps-store.ts';
import type { EventLogWrites } from '../store/event-log.ts';

export function startRetention(
  apps: Pick<AppsReads, 'list'>,
  log: Pick<EventLogWrites, 'prune'>,
  logger: Logger,
  intervalMs = 60_000,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => (running ??= pass().finally(() => (running = undefined)));
  const pass = async () => {
    try {
      for (const rec of await apps.list()) {
        const o = resolveOptions(rec.options);
        const removed = await log.prune({
          appId: rec.id,
          maxPerChannel: o.maxStoredEventsPerChannel,
          maxAgeMs: o.maxStoredEventAge * 1000,
        });
        if (removed > 0) logger.info({ appId: rec.id, removed }, 'retention removed stored events');
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'retention pass failed; will retry');
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  const first = setTimeout(run, Math.min(1000, intervalMs));
  first.unref();
  // Both must stop with the server, and a pass under way must end before the store closes.
  return async () => {
    clearInterval(timer);
    clearTimeout(first);
    await running;
  };
}
