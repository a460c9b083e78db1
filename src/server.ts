// Builds a whole Pushi node from a Config and returns something you can close():
// no globals, so tests run several servers in one process.
import type { Logger } from 'pino';
import type { App, AppSource } from './apps/app.ts';
import { readAppsFile } from './apps/static-source.ts';
import { APP_CACHE_TTL_MS, newAppRecord, StoreAppSource, toApp } from './apps/store-source.ts';
import { applyToOpenConnections, watchOpenApps } from './apps/open-connections.ts';
import type { Config } from './config/config.ts';
import { Hub } from './hub/hub.ts';
import { combineObservers, type HubObserver } from './hub/observer.ts';
import { LocalQueries } from './hub/queries.ts';
import { createApiHandler, type RouteRegistrar } from './api/http-api.ts';
import type { ApiDeps, HealthCheck } from './api/deps.ts';
import { eventRoutes, type TriggerPublisher } from './api/routes/events.ts';
import { channelRoutes } from './api/routes/channels.ts';
import { healthRoutes } from './api/routes/health.ts';
import { staticRoutes } from './api/routes/static.ts';
import { appRoutes } from './api/routes/apps.ts';
import { persistenceRoutes } from './api/routes/persistence.ts';
import { Persistence } from './persistence/persistence.ts';
import { startRetention } from './persistence/retention.ts';
import { GroupCommitter } from './store/group-commit.ts';
import { silentLogger } from './logger.ts';
import { openStore } from './store/open-store.ts';
import type { AppsStore } from './store/apps-store.ts';
import type { Stores } from './store/stores.ts';
import { withDeadline, withStoreDeadlines } from './store/deadline.ts';
import { StoreReadiness } from './store/readiness.ts';
import cluster from 'node:cluster';
import { IntakeGuard, workerConnectionCap } from './transport/intake-guard.ts';
import { startListeners, type Listeners } from './transport/listeners.ts';
import { WsTransport } from './transport/ws-transport.ts';
import { metricsRoutes } from './api/routes/metrics.ts';
import { webhookRoutes } from './api/routes/webhooks.ts';
import { Metrics } from './metrics/metrics.ts';
import { instrumentStore } from './metrics/instrument-store.ts';
import { effectiveConfig, loggingObserver } from './metrics/log-events.ts';
import { Webhooks } from './notify/webhooks/webhooks.ts';
import { Notifier } from './notify/targets/notifier.ts';
import { keepGeneratedKeys } from './notify/targets/web-push.ts';
import { notificationRoutes } from './api/routes/notifications.ts';
import { apiRateLimit } from './limits/api-limit.ts';
import { connectionRateAdmit, type ConnectionRateOptions } from './limits/connection-rate.ts';
import { LocalRateLimiter, type RateLimiter } from './limits/rate-limiter.ts';
import { ConsoleFeed } from './console/feed.ts';
import { consoleRoutes } from './console/routes.ts';

export interface ServerOptions {
  logger?: Logger;
  observers?: HubObserver[];
  /** Sweep interval (tests shorten it). */
  sweepIntervalMs?: number;
  /** Per-IP WebSocket connection rate (off unless set). */
  connectionRatePerIp?: Omit<ConnectionRateOptions, 'onRefused'>;
  /** How often retention runs in the background (default 60 s; tests shorten it). */
  retentionIntervalMs?: number;
  /** How often the webhook queue is polled for work other nodes or earlier runs left. */
  webhookPollMs?: number;
  /** Notification targets: extra trusted CA certificates (tests' HTTPS/HTTP2 stand-ins), queue polling. */
  notify?: { ca?: string | Buffer; pollMs?: number };
}

export interface PushiServer {
  readonly hub: Hub;
  readonly store: Stores;
  readonly apps: AppSource;
  /** The default app created when nothing else is configured (undefined otherwise). */
  readonly defaultApp?: App;
  /** This node's Prometheus registry (GET /metrics); other parts may register their own metrics. */
  readonly metrics: Metrics;
  /** The webhook batcher and sender; the cluster adapter feeds `webhooks.cluster` (notify/webhooks/batcher.ts). */
  readonly webhooks: Webhooks;
  /** Notification targets (Web Push, APNs, e-mail, channel webhooks): fan-out, queue, direct messaging. */
  readonly notifier: Notifier;
  wsPort: number;
  httpPort: number;
  /** Graceful: 4200 to every client, listeners closed, store closed. */
  close(): Promise<void>;
  /**
   * Reads PUSHI_APPS_FILE (and the PUSHI_APP_* app) again into the store (SIGHUP); open sockets of
   * those apps follow at once. Apps missing from the file are left as they are. Returns their ids.
   */
  reloadApps(): Promise<string[]>;
}

/** Writes the env/file apps into the store (the file read anew); returns their ids. */
async function writeSeeds(config: Config, store: AppsStore): Promise<string[]> {
  const seeds = [
    ...(config.apps.envApp ? [{ ...config.apps.envApp, name: config.apps.envApp.id, enabled: true }] : []),
    ...(config.apps.file ? readAppsFile(config.apps.file) : []),
  ];
  for (const seed of seeds) {
    const existing = await store.get(seed.id);
    const fields = {
      key: seed.key,
      secret: seed.secret,
      name: seed.name,
      enabled: seed.enabled,
      options: seed.options as unknown as Record<string, unknown>,
    };
    if (existing)
      await store.update(seed.id, { ...fields, options: keepGeneratedKeys(existing.options, fields.options) });
    else await store.create({ id: seed.id, ...fields, createdAt: Date.now() });
  }
  return seeds.map((s) => s.id);
}

/** Seeds the store with the env/file apps; creates (or reuses) a default app when none is configured. */
async function seedApps(config: Config, store: AppsStore): Promise<App | undefined> {
  if ((await writeSeeds(config, store)).length) return undefined;
  const apps = await store.list();
  const found = apps.find((a) => a.name === 'default') ?? apps[0];
  if (found) return toApp(found);
  // The newcomer's app shows everything off: client events and stored history on.
  const rec = newAppRecord('default', { clientEvents: true, persist: true });
  await store.create(rec);
  return toApp(rec);
}

export async function createServer(config: Config, options: ServerOptions = {}): Promise<PushiServer> {
  const logger = options.logger ?? silentLogger;
  const metrics = new Metrics({
    webhookQueueDepth: () => store.webhooks.countPending(),
    health: () => health,
    traffic: () => hub.states,
    cluster: () => hub.cluster.stats?.(),
  });
  const deadlines = { readMs: config.storage.readTimeoutMs, writeMs: config.storage.writeTimeoutMs };
  const readiness = new StoreReadiness();
  const bounded = withStoreDeadlines(await openStore(config.storage), deadlines, readiness.failed);
  const store = instrumentStore(bounded, logger, metrics);
  let defaultApp: App | undefined;
  try {
    defaultApp = await seedApps(config, store.apps);
  } catch (err) {
    await store.close();
    throw err;
  }
  const apps = new StoreAppSource(store.apps, { onChange: (id, app) => applyToOpenConnections(hub, id, app) });
  // The web console (/console) watches the hub and webhook outcomes; inert without the admin token.
  const consoleFeed = new ConsoleFeed(Boolean(config.adminToken));
  const webhooks = new Webhooks({
    queue: store.webhooks,
    apps,
    logger,
    metrics: consoleFeed.webhookMetrics(metrics),
    peekApp: (id): App | undefined => hub.states.get(id)?.app,
    pollMs: options.webhookPollMs,
  });
  const notifier = new Notifier({
    targets: store.targets,
    queue: store.notifications,
    apps,
    logger,
    smtpUrl: config.smtpUrl,
    ca: options.notify?.ca,
    pollMs: options.notify?.pollMs,
  });
  const observers: HubObserver[] = [
    metrics.observer,
    loggingObserver(logger),
    webhooks.observer,
    consoleFeed.observer,
    ...(options.observers ?? []),
  ];
  if (config.notifications) observers.push(notifier.observer); // after publishing; looks targets up on a later turn
  // Scaled out (PUSHI_REDIS_URL): other nodes get our events, presence and counts are cluster-wide.
  // Redis code (ioredis) is loaded only then, so a single node does not carry it.
  const redisTarget = config.redisUrl
    ? (await import('./cluster/redis/connect.ts')).redisTarget(config.redisUrl, config.redisCluster)
    : undefined;
  const redis = redisTarget
    ? {
        target: redisTarget,
        prefix: config.redisPrefix,
        logger,
        ...(await import('./cluster/redis/redis-adapter.ts')),
      }
    : undefined;
  const hub: Hub = new Hub({
    apps,
    activityTimeout: config.activityTimeout,
    pongTimeout: config.pongTimeout,
    maxBufferedBytes: config.maxBufferedBytes,
    recoveryMaxBytes: config.recoveryMaxBytes,
    observer: combineObservers(observers),
    sweepIntervalMs: options.sweepIntervalMs,
    cluster: redis && ((ctx) => new redis.RedisAdapter(ctx, redis)),
    // The once-per-cluster webhooks (occupied/vacated, members, counts) are the adapter's to report.
    clusterObserver: webhooks.cluster,
  });
  const persistence = new Persistence(hub, store.events, new GroupCommitter(store.events), logger);
  hub.extension = persistence;
  consoleFeed.start(hub);
  const stopRetention = startRetention(store.apps, store.events, logger, options.retentionIntervalMs);
  const stopWatchingApps = watchOpenApps(hub, (id) => apps.refresh(id), APP_CACHE_TTL_MS);
  const health: HealthCheck[] = [readiness.check(store)];
  const demoApp = defaultApp ?? (config.apps.envApp ? await apps.findById(config.apps.envApp.id) : undefined);
  let limiter: RateLimiter = new LocalRateLimiter();
  if (redisTarget) {
    const { RedisRateLimiter } = await import('./limits/redis-rate-limiter.ts');
    const redisLimiter = new RedisRateLimiter({ target: redisTarget, prefix: config.redisPrefix, logger });
    await redisLimiter.ready(2000); // cluster-wide from the first request
    limiter = redisLimiter;
  }
  const limitApi = apiRateLimit(limiter, (appId) => metrics.limited(appId, 'api'));
  const cluster = hub.cluster;
  const clusterHealth = cluster.health?.();
  if (clusterHealth) health.push(clusterHealth);
  await cluster.start(); // registered before the first client arrives (or degraded after a wait)
  const queries = cluster.queries(new LocalQueries(hub));
  // Scaled out, a trigger is answered once Redis has it: the next one, on any node, comes after.
  const published = cluster.published?.bind(cluster);
  const publish: TriggerPublisher = consoleFeed.timed(
    published
      ? async (app, t) => {
          await persistence.publish(app, t);
          // Redis not answering (a silent path): the trigger is not held for the cross-node copy.
          // This node's clients get the event with Redis's echo (the cluster's order), or once the
          // heartbeat declares the link dead and the node delivers on its own (seconds).
          await withDeadline(published(), config.storage.readTimeoutMs, 'redis').catch(() => undefined);
        }
      : persistence.publish,
  );
  const deps: ApiDeps = { config, hub, queries, apps, logger, health, demoApp, metrics, limitApi };
  const routes: RouteRegistrar[] = [
    healthRoutes,
    eventRoutes(publish),
    channelRoutes,
    persistenceRoutes(store.events, persistence),
    appRoutes(store.apps, apps),
    metricsRoutes(metrics),
    webhookRoutes(store.webhooks, () => webhooks.sender.poke()),
    notificationRoutes(store, apps, notifier),
    consoleRoutes({ store, persistence, publish, feed: consoleFeed }),
    staticRoutes,
  ];
  const api = createApiHandler(deps, routes);
  const perIp =
    options.connectionRatePerIp ??
    (config.connectionsPerIpPerSecond > 0
      ? { perSecond: config.connectionsPerIpPerSecond, trustForwardedFor: config.trustForwardedFor }
      : undefined);
  const admit = perIp
    ? connectionRateAdmit({
        ...perIp,
        onRefused: (key) => hub.observer.connectionRejected?.(key, 4100, 'per-IP connection rate'),
      })
    : undefined;
  const ws = new WsTransport(hub, {
    pathPrefix: config.pathPrefix,
    maxMessageBytes: config.maxMessageBytes,
    maxQueuedBytes: config.maxBufferedBytes,
    admit,
    coalesce: config.wsCoalesce,
  });
  const guard = intakeGuard(config, logger);
  let listeners: Listeners;
  try {
    listeners = await startListeners(config.ws, config.http, (req, res) => void api(req, res), ws, guard);
    deps.ports = { ws: listeners.wsPort, http: listeners.httpPort };
  } catch (err) {
    hub.stop();
    consoleFeed.close();
    await stopRetention();
    stopWatchingApps();
    await cluster.close();
    await webhooks.close();
    await notifier.close();
    await limiter.close();
    await store.close();
    throw err;
  }
  logger.info(
    { config: effectiveConfig(config), wsPort: listeners.wsPort, httpPort: listeners.httpPort },
    'configuration',
  );
  webhooks.start();
  notifier.start();
  let closing: Promise<void> | undefined;
  const server: PushiServer = {
    hub,
    store,
    apps,
    defaultApp,
    metrics,
    webhooks,
    notifier,
    wsPort: listeners.wsPort,
    httpPort: listeners.httpPort,
    async reloadApps() {
      const ids = await writeSeeds(config, store.apps);
      apps.invalidate();
      for (const id of ids) {
        const rec = await store.apps.get(id);
        applyToOpenConnections(hub, id, rec && toApp(rec));
      }
      return ids;
    },
    close() {
      closing ??= (async () => {
        hub.shutdown();
        // Give clients a moment to read the 4200 before the sockets go.
        await new Promise((r) => setTimeout(r, ws.openSockets ? Math.min(config.shutdownGraceMs, 200) : 0));
        ws.terminateAll();
        await listeners.close();
        hub.stop();
        consoleFeed.close();
        await stopRetention();
        stopWatchingApps();
        await cluster.close(); // leaves the cluster: our members removed everywhere
        await webhooks.close(); // queues the last events (vacated on shutdown) before the store goes
        await notifier.close();
        await limiter.close();
        await persistence.close();
        await store.close();
      })();
      return closing;
    },
  };
  return server;
}

/** A worker of `serve --workers N` stops accepting at its share of sockets (transport/intake-guard.ts). */
function intakeGuard(config: Config, logger: Logger): IntakeGuard | undefined {
  const max = cluster.isWorker ? workerConnectionCap(config.workerMaxConnections) : undefined;
  if (max === undefined) return undefined;
  return new IntakeGuard(max, (accepting, open) =>
    logger.info({ open, max }, accepting ? 'accepting connections again' : 'at its connection cap: others accept'),
  );
}
