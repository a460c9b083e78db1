// The console's view of the hub: a HubObserver that turns reports into entries for the live debug
// streams of the apps being watched, and counts what the overview charts show (stats.ts).
// Unwatched apps cost a map lookup and a few additions per report; nothing is built for them.
import type { TriggerPublisher } from '../api/routes/events.ts';
import type { Hub } from '../hub/hub.ts';
import type { HubObserver } from '../hub/observer.ts';
import type { WebhookMetrics } from '../notify/webhooks/sender.ts';
import { AppStats, SAMPLE_MS } from './stats.ts';

export type EntryType =
  | 'connected'
  | 'disconnected'
  | 'rejected'
  | 'subscribed'
  | 'unsubscribed'
  | 'occupied'
  | 'vacated'
  | 'member_added'
  | 'member_removed'
  | 'client_event'
  | 'api_event'
  | 'cache_miss'
  | 'webhook_sent'
  | 'webhook_failed'
  | 'webhook_gave_up';

export interface ConsoleEntry {
  /** ms since epoch */
  t: number;
  type: EntryType;
  channel?: string;
  /** api_event: every channel of the trigger. */
  channels?: string[];
  event?: string;
  socket_id?: string;
  user_id?: string;
  /** Event data as a string, cut at MAX_DATA characters (then `truncated`). */
  data?: string;
  truncated?: boolean;
  /** Presence member_added: the member's user_info. */
  info?: unknown;
  detail?: string;
}

export type Listener = (e: ConsoleEntry) => void;

const MAX_DATA = 4096;

function clip(data: unknown): { data: string; truncated?: true } {
  let s: string;
  try {
    s = typeof data === 'string' ? data : (JSON.stringify(data) ?? String(data));
  } catch {
    s = String(data);
  }
  return s.length > MAX_DATA ? { data: s.slice(0, MAX_DATA), truncated: true } : { data: s };
}

export class ConsoleFeed {
  readonly observer: HubObserver;
  private readonly watchers = new Map<string, Set<Listener>>();
  /** app key → app id of watched apps: rejected connections are reported by key. */
  private readonly keys = new Map<string, string>();
  private readonly stats = new Map<string, AppStats>();
  /** Each app's messagesOut total at the last sample (the hub keeps its states, so this stays small). */
  private readonly sentSeen = new Map<string, number>();
  private hub?: Hub;
  private timer?: NodeJS.Timeout;

  /** Off (no admin token): observes nothing and wraps nothing. */
  constructor(readonly enabled: boolean) {
    this.observer = enabled ? this.makeObserver() : {};
  }

  /** Starts sampling the hub's apps once a second. */
  start(hub: Hub): void {
    if (!this.enabled) return;
    this.hub = hub;
    this.timer = setInterval(() => this.sample(Date.now()), SAMPLE_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Calls `fn` with every entry of the app until the returned function is called. */
  listen(app: { id: string; key: string }, fn: Listener): () => void {
    let set = this.watchers.get(app.id);
    if (!set) this.watchers.set(app.id, (set = new Set()));
    set.add(fn);
    this.keys.set(app.key, app.id);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.watchers.get(app.id) === set) {
        this.watchers.delete(app.id);
        for (const [k, id] of this.keys) if (id === app.id) this.keys.delete(k);
      }
    };
  }

  statsOf(appId: string): AppStats {
    let s = this.stats.get(appId);
    if (!s) this.stats.set(appId, (s = new AppStats()));
    return s;
  }

  /** Wraps the trigger publisher to time each trigger from acceptance to fan-out (store included). */
  timed(publish: TriggerPublisher): TriggerPublisher {
    if (!this.enabled) return publish;
    return async (app, t) => {
      const started = performance.now();
      await publish(app, t);
      this.statsOf(app.id).latency(performance.now() - started);
    };
  }

  /** Passes webhook outcomes to `inner` (the metrics) and to the debug stream. */
  webhookMetrics(inner: WebhookMetrics): WebhookMetrics {
    if (!this.enabled) return inner;
    return {
      delivered: (appId, seconds) => {
        inner.delivered(appId, seconds);
        if (this.watching(appId))
          this.emit(appId, {
            t: Date.now(),
            type: 'webhook_sent',
            detail: `answered 2xx in ${Math.round(seconds * 1000)} ms`,
          });
      },
      attemptFailed: (appId, reason) => {
        inner.attemptFailed(appId, reason);
        if (this.watching(appId))
          this.emit(appId, { t: Date.now(), type: 'webhook_failed', detail: `attempt failed (${reason}); will retry` });
      },
      gaveUp: (appId) => {
        inner.gaveUp(appId);
        if (this.watching(appId))
          this.emit(appId, {
            t: Date.now(),
            type: 'webhook_gave_up',
            detail: 'gave up retrying; kept under GET /apps/{id}/webhooks/failed',
          });
      },
    };
  }

  /** Callers check `watching` first, so unwatched apps build nothing. */
  private emit(appId: string, entry: ConsoleEntry): void {
    const set = this.watchers.get(appId);
    if (set) for (const fn of set) fn(entry);
  }

  private watching(appId: string): boolean {
    return this.watchers.has(appId);
  }

  private sample(now: number): void {
    const seen = new Set<string>();
    for (const [id, state] of this.hub?.states ?? []) {
      // The hub counts what it sends (no report per message): this second's share is the growth.
      const sent = state.traffic.messagesOut - (this.sentSeen.get(id) ?? 0);
      this.sentSeen.set(id, state.traffic.messagesOut);
      if (!this.stats.has(id) && state.connections.size === 0) continue; // never active: nothing to chart
      const s = this.statsOf(id);
      s.delivered(sent);
      s.sample(now, state.connections.size, state.channels.size);
      seen.add(id);
      if (state.connections.size === 0 && s.idle) this.stats.delete(id);
    }
    for (const [id, s] of this.stats) {
      if (seen.has(id)) continue;
      s.sample(now, 0, 0);
      if (s.idle) this.stats.delete(id);
    }
  }

  private memberInfo(appId: string, channel: string, userId: string): unknown {
    return this.hub?.states.get(appId)?.channel(channel)?.members.get(userId)?.info;
  }

  private makeObserver(): HubObserver {
    const at = () => Date.now();
    const on = (appId: string) => this.watching(appId);
    return {
      connectionOpened: (appId, socketId) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'connected', socket_id: socketId });
      },
      connectionClosed: (appId, socketId) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'disconnected', socket_id: socketId });
      },
      connectionRejected: (appKey, code, reason) => {
        const appId = this.keys.get(appKey);
        if (appId) this.emit(appId, { t: at(), type: 'rejected', detail: `${code} ${reason}` });
      },
      channelOccupied: (appId, channel) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'occupied', channel });
      },
      channelVacated: (appId, channel) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'vacated', channel });
      },
      subscribed: (appId, channel, kind, socketId) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'subscribed', channel, socket_id: socketId, detail: kind });
      },
      unsubscribed: (appId, channel, kind, socketId) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'unsubscribed', channel, socket_id: socketId, detail: kind });
      },
      memberAdded: (appId, channel, userId) => {
        if (on(appId))
          this.emit(appId, {
            t: at(),
            type: 'member_added',
            channel,
            user_id: userId,
            info: this.memberInfo(appId, channel, userId),
          });
      },
      memberRemoved: (appId, channel, userId) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'member_removed', channel, user_id: userId });
      },
      cacheMiss: (appId, channel) => {
        if (on(appId)) this.emit(appId, { t: at(), type: 'cache_miss', channel });
      },
      clientEvent: (appId, e) => {
        const now = at();
        this.statsOf(appId).published(e.channel, now);
        if (on(appId))
          this.emit(appId, {
            t: now,
            type: 'client_event',
            channel: e.channel,
            event: e.event,
            socket_id: e.socketId,
            user_id: e.userId,
            ...clip(e.data),
          });
      },
      eventTriggered: (appId, e) => {
        const now = at();
        const stats = this.statsOf(appId);
        for (const ch of e.channels) stats.published(ch, now);
        if (on(appId))
          this.emit(appId, {
            t: now,
            type: 'api_event',
            channel: e.channels[0],
            channels: e.channels,
            event: e.event,
            socket_id: e.socketId,
            ...clip(e.data),
          });
      },
    };
  }
}
