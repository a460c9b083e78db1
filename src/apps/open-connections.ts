// An app changed (admin API, CLI, another node): this node's open sockets follow at once.
import type { App } from './app.ts';
import type { Hub } from '../hub/hub.ts';
import { ErrorCode } from '../protocol/errors.ts';

/**
 * Sockets see the new secret and options; a disabled or deleted app's sockets are closed (new ones
 * are refused the same way).
 */
export function applyToOpenConnections(hub: Hub, id: string, app: App | undefined): void {
  const state = hub.states.get(id);
  if (!state) return;
  if (!app || !app.enabled) {
    const [code, why] = app
      ? [ErrorCode.APP_DISABLED, 'App is disabled']
      : [ErrorCode.APP_NOT_FOUND, 'App was deleted'];
    for (const conn of [...state.connections.values()]) conn.closeWithError(code, why);
    return;
  }
  state.app = app;
  for (const conn of state.connections.values()) conn.app = app;
}

/**
 * Re-reads, every `everyMs`, the apps with sockets on this node, so a change made elsewhere (the CLI
 * on the same database, another node's admin API) reaches them within the app cache's lifetime even
 * when nothing else looks the app up. Returns the stop function.
 */
export function watchOpenApps(hub: Hub, refresh: (id: string) => void, everyMs: number): () => void {
  const timer = setInterval(() => {
    for (const [id, state] of hub.states) if (state.connections.size > 0) refresh(id);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
