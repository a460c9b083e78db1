// Prometheus metrics on a per-server Registry (several servers in one process never collide).
// Labels carry app ids, routes, codes and kinds: never keys, secrets, channel names or payloads.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiMetrics, HealthCheck } from '../api/deps.ts';
import type { ClusterStats } from '../cluster/adapter.ts';
import type { HubObserver } from '../hub/observer.ts';
import type { FailureReason, WebhookMetrics } from '../notify/webhooks/sender.ts';
import type { Traffic } from '../hub/app-state.ts';
import { SampledCounter, TallyCounter, TallyGauge, TallyHistogram } from './tally.ts';
import { metricsFromPrimary, shareWithPrimary, underWorkers } from './workers.ts';

export interface MetricsOptions {
  /** Pending webhook deliveries, read at scrape time. */
  webhookQueueDepth?: () => Promise<number>;
  /** Checks reported as pushi_health_check_up (store, Redis, …), run at scrape time. */
  health?: () => HealthCheck[];
  /** Each app's message and byte counts on this node (the hub's), read at scrape time. */
  traffic?: () => Iterable<[appId: string, state: { traffic: Readonly<Traffic> }]>;
  /** What this node received from the other nodes (scaled out only), read at scrape time. */
  cluster?: () => ClusterStats | undefined;
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics implements ApiMetrics, WebhookMetrics {
  readonly registry = new Registry();
  readonly observer: HubObserver;
  private readonly connections: TallyGauge;
  private readonly connectionsOpened: TallyCounter;
  private readonly rejected: Counter<'code'>;
  private readonly subscriptions: TallyGauge;
  private readonly channels: TallyGauge;
  private readonly httpRequests: TallyCounter;
  private readonly httpDuration: TallyHistogram;
  private readonly httpSeries = new Map<
    string,
    Map<string, { duration: { observe(v: number): void }; byStatus: Map<number, { inc(): void }> }>
  >();
  private readonly rateLimited: Counter<'app_id' | 'limit'>;
  private readonly webhookDelivered: Counter<'app_id'>;
  private readonly webhookDuration: Histogram<'app_id'>;
  private readonly webhookAttemptFailed: Counter<'app_id' | 'reason'>;
  private readonly webhookFailed: Counter<'app_id'>;
  private readonly storeDuration: Histogram<'op'>;
  private readonly storeErrors: Counter<'op'>;
  private defaults = false;

  constructor(o: MetricsOptions = {}) {
    const registers = [this.registry];
    if (underWorkers()) shareWithPrimary(this.registry, () => this.collectDefaults());
    // Per connection, subscription, message and request: tallies (see tally.ts), not prom-client's label hashing.
    this.connections = new TallyGauge('pushi_connections', 'Open WebSocket connections', ['app_id'], registers);
    this.connectionsOpened = new TallyCounter(
      'pushi_connections_opened_total',
      'WebSocket connections established',
      ['app_id'],
      registers,
    );
    this.rejected = new Counter({
      name: 'pushi_connections_rejected_total',
      help: 'WebSocket connections refused, by Pusher close code',
      labelNames: ['code'],
      registers,
    });
    const traffic = (field: keyof Traffic) =>
      function* (): Iterable<[string, number]> {
        for (const [appId, state] of o.traffic?.() ?? []) yield [appId, state.traffic[field]];
      };
    new SampledCounter(
      'pushi_ws_messages_received_total',
      'Messages received from clients',
      'app_id',
      traffic('messagesIn'),
      registers,
    );
    new SampledCounter(
      'pushi_ws_received_bytes_total',
      'Bytes of messages received from clients',
      'app_id',
      traffic('bytesIn'),
      registers,
    );
    new SampledCounter(
      'pushi_ws_messages_sent_total',
      'Event messages written to subscribers',
      'app_id',
      traffic('messagesOut'),
      registers,
    );
    new SampledCounter(
      'pushi_ws_sent_bytes_total',
      'Bytes of event messages written to subscribers',
      'app_id',
      traffic('bytesOut'),
      registers,
    );
    this.subscriptions = new TallyGauge(
      'pushi_subscriptions',
      'Channel subscriptions, by channel type',
      ['app_id', 'type'],
      registers,
    );
    this.channels = new TallyGauge('pushi_channels', 'Occupied channels on this node', ['app_id'], registers);
    this.httpRequests = new TallyCounter(
      'pushi_http_requests_total',
      'HTTP API requests, by route pattern and status',
      ['route', 'method', 'status'],
      registers,
    );
    this.httpDuration = new TallyHistogram(
      'pushi_http_request_duration_seconds',
      'HTTP API request latency',
      ['route', 'method'],
      SECONDS,
      registers,
    );
    this.rateLimited = new Counter({
      name: 'pushi_rate_limited_total',
      help: 'Requests or connections refused by a rate limit',
      labelNames: ['app_id', 'limit'],
      registers,
    });
    this.webhookDelivered = new Counter({
      name: 'pushi_webhook_deliveries_total',
      help: 'Webhook POSTs answered 2xx',
      labelNames: ['app_id'],
      registers,
    });
    this.webhookDuration = new Histogram({
      name: 'pushi_webhook_delivery_duration_seconds',
      help: 'Webhook POST latency (successful)',
      labelNames: ['app_id'],
      buckets: SECONDS,
      registers,
    });
    this.webhookAttemptFailed = new Counter({
      name: 'pushi_webhook_attempt_failures_total',
      help: 'Webhook attempts that failed (will retry or give up)',
      labelNames: ['app_id', 'reason'],
      registers,
    });
    this.webhookFailed = new Counter({
      name: 'pushi_webhook_failed_total',
      help: 'Webhooks given up after retrying (see GET /apps/{id}/webhooks/failed)',
      labelNames: ['app_id'],
      registers,
    });
    this.storeDuration = new Histogram({
      name: 'pushi_store_write_duration_seconds',
      help: 'Store write latency, by operation',
      labelNames: ['op'],
      buckets: SECONDS,
      registers,
    });
    this.storeErrors = new Counter({
      name: 'pushi_store_errors_total',
      help: 'Store operations that failed',
      labelNames: ['op'],
      registers,
    });
    const depth = o.webhookQueueDepth;
    new Gauge({
      name: 'pushi_webhook_queue_depth',
      help: 'Webhook deliveries waiting in the queue (all apps)',
      registers,
      async collect() {
        if (depth) this.set(await depth().catch(() => NaN));
      },
    });
    this.clusterMetrics(o.cluster, registers);
    const health = o.health;
    new Gauge({
      name: 'pushi_health_check_up',
      help: 'Dependencies as seen by /ready: 1 up, 0 down',
      labelNames: ['check'],
      registers,
      async collect() {
        for (const h of health?.() ?? [])
          this.set(
            { check: h.name },
            await h.check().then(
              () => 1,
              () => 0,
            ),
          );
      },
    });
    this.observer = {
      connectionOpened: (appId) => {
        this.connections.labels(appId).inc();
        this.connectionsOpened.labels(appId).inc();
      },
      connectionClosed: (appId) => this.connections.labels(appId).dec(),
      connectionRejected: (_key, code) => this.rejected.inc({ code: String(code) }),
      subscribed: (appId, _channel, kind) => this.subscriptions.labels(appId, kind).inc(),
      unsubscribed: (appId, _channel, kind) => this.subscriptions.labels(appId, kind).dec(),
      channelOccupied: (appId) => this.channels.labels(appId).inc(),
      channelVacated: (appId) => this.channels.labels(appId).dec(),
    };
  }

  /** Inbound cluster traffic: with interest routing it follows what this node's subscribers want. */
  private clusterMetrics(stats: MetricsOptions['cluster'], registers: Registry[]): void {
    const counter = (name: string, help: string, read: (s: ClusterStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const s = stats?.();
          if (!s) return;
          this.reset();
          this.inc(read(s));
        },
      });
    counter(
      'pushi_cluster_inbound_messages_total',
      'Messages this node received from Redis pub/sub',
      (s) => s.inboundMessages,
    );
    counter(
      'pushi_cluster_inbound_bytes_total',
      'Payload bytes this node received from Redis pub/sub',
      (s) => s.inboundBytes,
    );
    new Gauge({
      name: 'pushi_cluster_topics',
      help: 'Channels this node listens to in Redis (those it has subscribers on)',
      registers,
      collect() {
        const s = stats?.();
        if (s) this.set(s.topics);
      },
    });
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    // Route labels and methods are the same few strings every time: nested maps find the series
    // without building a label key (a new string to hash) per request.
    let byMethod = this.httpSeries.get(route);
    if (!byMethod) this.httpSeries.set(route, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (!series)
      byMethod.set(method, (series = { duration: this.httpDuration.labels(route, method), byStatus: new Map() }));
    let count = series.byStatus.get(status);
    if (!count) series.byStatus.set(status, (count = this.httpRequests.labels(route, method, String(status))));
    count.inc();
    series.duration.observe(seconds);
  }

  limited(appId: string, limit: 'api' | 'connection_rate'): void {
    this.rateLimited.inc({ app_id: appId, limit });
  }

  delivered(appId: string, seconds: number): void {
    this.webhookDelivered.inc({ app_id: appId });
    this.webhookDuration.observe({ app_id: appId }, seconds);
  }

  attemptFailed(appId: string, reason: FailureReason): void {
    this.webhookAttemptFailed.inc({ app_id: appId, reason });
  }

  gaveUp(appId: string): void {
    this.webhookFailed.inc({ app_id: appId });
  }

  storeWrite(op: string, seconds: number, ok: boolean): void {
    this.storeDuration.observe({ op }, seconds);
    if (!ok) this.storeErrors.inc({ op });
  }

  /**
   * Event-loop lag, memory, GC, handles: from the first scrape on. Until a scraper asks, the
   * process keeps no event-loop histogram, GC observer or their modules (~2.5 MB of idle RSS).
   * Lag is sampled every 100 ms rather than prom-client's 10 ms: each sample wakes the loop.
   */
  private collectDefaults(): void {
    if (this.defaults) return;
    this.defaults = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /** The Prometheus text exposition: of the whole process when it runs as one of --workers N. */
  async render(): Promise<{ text: string; contentType: string }> {
    this.collectDefaults();
    const text = underWorkers() ? await metricsFromPrimary() : await this.registry.metrics();
    return { text, contentType: this.registry.contentType };
  }
}
