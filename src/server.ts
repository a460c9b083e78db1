// Builds a whole Pushi node from a Config and returns something you can close():
// no globals, so tests run several servers in one process.
import type { Logger } from 'pino';
import type { App, AppSource } from './apps/app.ts';
import { readAppsFile } from './apps/static-source.ts';
import { newAppRecord, StoreAppSource, toApp } from './apps/store-source.ts';
import type { Config } from './config/config.ts';
import { Hub } from './hub/hub.ts';
import { combineObservers, type HubObserver } from './hub/observer.ts';
import { LocalQueries } from './hub/queries.ts';
import { createApiHandler, type RouteRegistrar } from './api/http-api.ts';
import type { ApiDeps, HealthCheck } from './api/deps.ts';
import { eventRoutes } from './api/routes/events.ts';
import { channelRoutes } from './api/routes/channels.ts';
import { healthRoutes } from './api/routes/health.ts';
import { appRoutes } from './api/routes/apps.ts';
import { persistenceRoutes } from './api/routes/persistence.ts';
import { Persistence } from './persistence/persistence.ts';
import { startRetention } from './persistence/retention.ts';
import { GroupCommitter } from './store/group-commit.ts';
import { silentLogger } from './logger.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { startListeners, type Listeners } from './transport/listeners.ts';
import { WsTransport } from './transport/ws-transport.ts';

export interface ServerOptions {
  logger?: Logger;
  observers?: HubObserver[];
  /** Sweep interval (tests shorten it). */
  sweepIntervalMs?: number;
}

export interface PushiServer {
  readonly hub: Hub;
  readonly store: Store;
  readonly apps: AppSource;
  /** The default app created when nothing else is configured (undefined otherwise). */
  readonly defaultApp?: App;
  wsPort: number;
  httpPort: number;
  /** Graceful: 4200 to every client, listeners closed, store closed. */
  close(): Promise<void>;
}

/** Seeds the store with the env/file apps; creates (or reuses) a default app when none is configured. */
async function seedApps(config: Config, store: Store): Promise<App | undefined> {
  const seeds = [
    ...(config.apps.envApp ? [{ ...config.apps.envApp, name: config.apps.envApp.id, enabled: true }] : []),
    ...(config.apps.file ? readAppsFile(config.apps.file) : []),
  ];
  for (const seed of seeds) {
    const existing = await store.getApp(seed.id);
    const fields = { key: seed.key, secret: seed.secret, name: seed.name, enabled: seed.enabled, options: seed.options as unknown as Record<string, unknown> };
    if (existing) await store.updateApp(seed.id, fields);
    else await store.createApp({ id: seed.id, ...fields, createdAt: Date.now() });
  }
  if (seeds.length) return undefined;
  const apps = await store.listApps();
  const found = apps.find((a) => a.name === 'default') ?? apps[0];
  if (found) return toApp(found);
  // The newcomer's app shows everything off: client events and stored history on.
  const rec = newAppRecord('default', { clientEvents: true, persist: true });
  await store.createApp(rec);
  return toApp(rec);
}

export async function createServer(config: Config, options: ServerOptions = {}): Promise<PushiServer> {
  const logger = options.logger ?? silentLogger;
  const store = await openStore(config.storage);
  let defaultApp: App | undefined;
  try {
    defaultApp = await seedApps(config, store);
  } catch (err) {
    await store.close();
    throw err;
  }
  const apps = new StoreAppSource(store);
  const hub = new Hub({
    apps,
    activityTimeout: config.activityTimeout,
    pongTimeout: config.pongTimeout,
    maxBufferedBytes: config.maxBufferedBytes,
    observer: combineObservers(options.observers ?? []),
    sweepIntervalMs: options.sweepIntervalMs,
  });
  const persistence = new Persistence(hub, store, new GroupCommitter(store), logger);
  hub.extension = persistence;
  const stopRetention = startRetention(store, logger);
  const health: HealthCheck[] = [{ name: 'store', check: () => store.ping() }];
  const deps: ApiDeps = { config, hub, queries: new LocalQueries(hub), apps, logger, health };
  const routes: RouteRegistrar[] = [
    healthRoutes,
    eventRoutes(persistence.publish),
    channelRoutes,
    persistenceRoutes(store, persistence),
    appRoutes(store, apps),
  ];
  const api = createApiHandler(deps, routes);
  const ws = new WsTransport(hub, { pathPrefix: config.pathPrefix, maxMessageBytes: config.maxMessageBytes });
  let listeners: Listeners;
  try {
    listeners = await startListeners(config.ws, config.http, (req, res) => void api(req, res), ws);
  } catch (err) {
    hub.stop();
    stopRetention();
    await store.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const server: PushiServer = {
    hub,
    store,
    apps,
    defaultApp,
    wsPort: listeners.wsPort,
    httpPort: listeners.httpPort,
    close() {
      closing ??= (async () => {
        hub.shutdown();
        // Give clients a moment to read the 4200 before the sockets go.
        await new Promise((r) => setTimeout(r, ws.openSockets ? Math.min(config.shutdownGraceMs, 200) : 0));
        ws.terminateAll();
        await listeners.close();
        hub.stop();
        stopRetention();
        await persistence.close();
        await store.close();
      })();
      return closing;
    },
  };
  return server;
}
