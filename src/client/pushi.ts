// The Pushi client: `new Pushi(appKey, options?)`, bind/unbind, subscribe → Channel.
import { peerChannelName } from '../protocol/channels.ts';
import { authorize, needsAuth } from './auth.ts';
import { Channel } from './channel.ts';
import { Connection, decodeSpecData, type Frame } from './connection.ts';
import { Emitter, type EventMeta } from './emitter.ts';
import { awaitsCachedEvent, failedAt, isDuplicate, readPosition, recoveredFlag, recoverRequest } from './position.ts';
import { webPush } from './push.ts';
import type {
  ConnectionState,
  LatestResult,
  PushiEventMap,
  PushiOptions,
  StoredEvent,
  WebSocketConstructor,
} from './types.ts';
import { VERSION } from './version.ts';

interface LatestRequest {
  resolve(result: LatestResult): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const RECONNECT_DEFAULTS = { minDelay: 1000, maxDelay: 30_000, jitter: 0.5 };

export class Pushi extends Emitter<PushiEventMap> {
  static readonly VERSION = VERSION;
  static readonly Channel = Channel;
  /** The peer channel two members of a presence channel share (`peer-<base>:<a>&<b>`). */
  static peerChannel = peerChannelName;
  /** Browser push helpers: `Pushi.webPush.subscribe({ serviceWorker, vapidKeyUrl, register, channel })`. */
  static readonly webPush = webPush;

  readonly key: string;
  readonly options: Readonly<PushiOptions>;
  /** Channels by name: the ones subscribed to and the ones personal channels brought in. */
  readonly channels = new Map<string, Channel>();
  private readonly connection: Connection;
  private readonly pending = new Map<string, LatestRequest[]>();
  private established = false;
  /** The socket ids of the connection before this one and of this one: a resume names the previous. */
  private previousSocketId?: string;
  private lastSocketId?: string;

  constructor(appKey: string, options: PushiOptions = {}) {
    super();
    if (typeof appKey !== 'string' || appKey.length === 0)
      throw new TypeError('new Pushi(appKey): the app key is required');
    this.key = appKey;
    this.options = options;
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS)
      throw new TypeError('No WebSocket here: pass options.WebSocket (e.g. the default export of the `ws` package)');
    this.connection = new Connection(
      {
        url: () => this.url(),
        WebSocket: WS,
        reconnect: options.reconnect === false ? false : { ...RECONNECT_DEFAULTS, ...options.reconnect },
        activityTimeout: options.activityTimeout ?? 120,
        pongTimeout: options.pongTimeout ?? 30,
        connectTimeout: options.connectTimeout ?? 10,
      },
      {
        established: (socketId) => this.onEstablished(socketId),
        message: (frame) => this.onMessage(frame),
        state: (previous, current) => this.emit('state_change', { previous, current }),
        closed: (code, reason) => this.onClosed(code, reason),
        reconnecting: (info) => this.emit('reconnecting', info),
        error: (message, code) => this.emit('error', { message, code }),
      },
    );
    if (options.autoConnect !== false) this.connect();
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  get socketId(): string | undefined {
    return this.connection.socketId;
  }

  /** The WebSocket URL (Pusher protocol 7). */
  url(): string {
    const o = this.options;
    const loc = (globalThis as { location?: { hostname: string; protocol: string } }).location;
    const tls = o.useTLS ?? loc?.protocol === 'https:';
    const host = o.host ?? (loc?.hostname || 'localhost');
    const port = o.port ?? (tls ? 443 : 9090);
    const prefix = (o.pathPrefix ?? '').replace(/\/+$/, '');
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const query = `protocol=7&client=pushi-js&version=${VERSION}&flash=false`;
    return `${tls ? 'wss' : 'ws'}://${h}:${port}${prefix}/app/${encodeURIComponent(this.key)}?${query}`;
  }

  connect(): void {
    this.connection.connect();
  }

  /** Closes the connection and stops reconnecting; connect() opens it again (channels are kept). */
  disconnect(): void {
    this.connection.disconnect();
  }

  /** Subscribes (now, or as soon as connected) and returns the channel; the same object on repeat calls. */
  subscribe(name: string): Channel {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('subscribe(name): the channel name is required');
    let ch = this.channels.get(name);
    if (ch && !ch.via) return ch;
    if (ch)
      ch.via = undefined; // an alias the app now wants in its own right
    else this.channels.set(name, (ch = new Channel(name, this)));
    if (this.state === 'connected') void this.sendSubscribe(ch);
    return ch;
  }

  unsubscribe(name: string): void {
    const ch = this.channels.get(name);
    if (!ch) return;
    this.channels.delete(name);
    this.connection.send({ event: 'pusher:unsubscribe', data: { channel: name } });
    for (const [alias, a] of this.channels) if (a.via === name) this.drop(alias, a);
    this.rejectLatest(name, new Error(`Unsubscribed from ${name}`));
    ch.reset();
    this.channelEvent(ch, 'unsubscribe', {});
  }

  channel(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /** Sends a client event (`client-…`) on any channel this socket is in, peer channels included. */
  sendChannel(event: string, data: unknown, channel: string, options: { persist?: boolean } = {}): boolean {
    if (!event.startsWith('client-')) throw new TypeError(`Client events must be named client-…, got "${event}"`);
    const frame: Frame = { event, channel, data };
    if (options.persist !== undefined) frame.persist = options.persist;
    return this.connection.send(frame);
  }

  /**
   * Stored events of a channel: the newest `count` after skipping the newest `skip`, or with
   * `{ since: mid }` the `count` stored after that one, oldest first. Resolves with `{events}`.
   */
  latest(channel: string, skip: number | { since: string } = 0, count = 10): Promise<LatestResult> {
    const from = typeof skip === 'number' ? { skip } : { since: skip.since };
    return new Promise((resolve, reject) => {
      if (!this.connection.send({ event: 'pusher:latest', data: { channel, ...from, count } })) {
        reject(new Error('Not connected'));
        return;
      }
      const queue = this.pending.get(channel) ?? [];
      this.pending.set(channel, queue);
      const seconds = this.options.requestTimeout ?? 10;
      const req: LatestRequest = {
        resolve,
        reject,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(req), 1);
          reject(new Error(`No answer to pusher:latest for ${channel} within ${seconds} s`));
        }, seconds * 1000),
      };
      queue.push(req);
    });
  }

  private async sendSubscribe(ch: Channel): Promise<void> {
    const socketId = this.socketId!;
    const data: Record<string, unknown> = { channel: ch.name };
    if (ch.position) data.recover = recoverRequest(ch.position, this.previousSocketId);
    if (needsAuth(ch.name)) {
      let auth;
      try {
        auth = await authorize(this.options, socketId, ch.name);
      } catch (err) {
        if (this.channels.get(ch.name) !== ch || this.socketId !== socketId) return;
        const status = (err as { status?: number }).status ?? 0;
        this.channelEvent(ch, 'subscription_error', { type: 'AuthError', error: (err as Error).message, status });
        return;
      }
      if (this.channels.get(ch.name) !== ch || this.socketId !== socketId) return; // reconnected or dropped meanwhile
      data.auth = auth.auth;
      if (auth.channel_data !== undefined) {
        data.channel_data = auth.channel_data;
        const userId = (decodeSpecData(auth.channel_data) as { user_id?: unknown }).user_id;
        if (userId !== undefined) ch.myId = String(userId);
      }
    }
    this.connection.send({ event: 'pusher:subscribe', data });
  }

  private onEstablished(socketId: string): void {
    this.established = true;
    this.previousSocketId = this.lastSocketId;
    this.lastSocketId = socketId;
    this.emit('connect', { socketId });
    // Re-subscribe everything the app asked for; alias channels come back with their personal channel.
    for (const ch of this.channels.values()) if (!ch.via) void this.sendSubscribe(ch);
  }

  private onClosed(code: number, reason: string): void {
    for (const ch of this.channels.values()) ch.reset();
    for (const name of [...this.pending.keys()]) this.rejectLatest(name, new Error(`Connection closed (${code})`));
    if (!this.established) return;
    this.established = false;
    this.emit('disconnect', { code, reason });
  }

  private onMessage(frame: Frame): void {
    const name = frame.channel;
    const ch = name === undefined ? undefined : this.channels.get(name);
    switch (frame.event) {
      case 'pusher:error': {
        const d = decodeSpecData(frame.data) as { message?: string; code?: number | null };
        this.emit('error', { message: String(d.message ?? 'Unknown error'), code: d.code ?? null });
        return;
      }
      case 'pusher_internal:subscription_succeeded':
        if (ch) this.onSucceeded(ch, decodeSpecData(frame.data));
        return;
      case 'pusher:subscription_error':
        if (ch) this.channelEvent(ch, 'subscription_error', decodeSpecData(frame.data));
        return;
      case 'pusher_internal:member_added': {
        const member = ch?.memberAdded(decodeSpecData(frame.data));
        if (ch && member) this.channelEvent(ch, 'member_added', member);
        return;
      }
      case 'pusher_internal:member_removed': {
        const member = ch?.memberRemoved(decodeSpecData(frame.data));
        if (ch && member) this.channelEvent(ch, 'member_removed', member);
        return;
      }
      case 'pusher_internal:subscription_count':
        if (ch) this.channelEvent(ch, 'subscription_count', decodeSpecData(frame.data));
        return;
      case 'pusher:cache_miss':
        if (ch) this.channelEvent(ch, 'cache_miss', {});
        return;
      case 'pusher_internal:alias_added': {
        // A subscription added over the API while we are on the personal channel.
        const alias = (decodeSpecData(frame.data) as { alias?: unknown }).alias;
        if (ch?.subscribed && typeof alias === 'string') this.addAlias(ch, alias);
        return;
      }
      case 'pusher_internal:alias_removed': {
        const alias = String((decodeSpecData(frame.data) as { alias?: unknown }).alias);
        const a = this.channels.get(alias);
        if (a && a.via === name) this.drop(alias, a);
        return;
      }
      case 'pusher_internal:latest':
        if (name !== undefined) this.answerLatest(name, decodeSpecData(frame.data));
        return;
    }
    if (frame.event.startsWith('pusher:') || frame.event.startsWith('pusher_internal:')) return;
    // Peer channels are joined by the server, so their messages come with no channel object.
    if (name !== undefined && !ch && !name.startsWith('peer-')) return;
    if (ch && !this.advance(ch, frame)) return;
    const meta: EventMeta = { channel: name };
    if (frame.user_id !== undefined) meta.userId = frame.user_id;
    if (frame.mid !== undefined) {
      meta.mid = frame.mid;
      meta.timestamp = frame.timestamp;
      if (ch) ch.lastMid = frame.mid;
    }
    const data = decodeAppData(frame.data);
    ch?.emit(frame.event, data, meta, true);
    this.emit(frame.event, data, meta, true);
  }

  /** Tracks the frame's position on its channel; false for an event already delivered. */
  private advance(ch: Channel, frame: Frame): boolean {
    const position = readPosition(frame);
    if (!position) return true;
    const cached = ch.awaitsCachedEvent;
    ch.awaitsCachedEvent = false;
    if (isDuplicate(ch.position, position)) return cached; // the cached event: delivered, position kept
    ch.position = position;
    return true;
  }

  private onSucceeded(ch: Channel, data: Record<string, any>): void {
    // Persisting apps and personal channels hand back stored events here, as latest() does.
    if (data.events !== undefined) data.events = decodeStoredEvents(data.events);
    ch.succeeded(data);
    // The server's current position: everything up to it was delivered (replayed) or is given up.
    ch.position = readPosition(data);
    const recovered = recoveredFlag(data);
    ch.awaitsCachedEvent = awaitsCachedEvent(ch.name, recovered);
    if (Array.isArray(data.alias)) {
      // A personal channel: the server joined us to its alias channels; mirror them here.
      const aliases = new Set(data.alias.map(String));
      for (const [n, a] of this.channels) if (a.via === ch.name && !aliases.has(n)) this.drop(n, a);
      for (const alias of aliases) this.addAlias(ch, alias);
    }
    this.channelEvent(ch, 'subscribe', data);
    if (recovered) this.channelEvent(ch, 'recovered', { channel: ch.name });
    else if (recovered === false) this.channelEvent(ch, 'recovery_failed', failedAt(ch.name, ch.lastMid));
  }

  private addAlias(personal: Channel, alias: string): void {
    let a = this.channels.get(alias);
    if (!a) this.channels.set(alias, (a = new Channel(alias, this, personal.name)));
    if (a.subscribed) return;
    a.succeeded({});
    this.channelEvent(a, 'subscribe', {});
  }

  private drop(name: string, ch: Channel): void {
    this.channels.delete(name);
    ch.reset();
    this.channelEvent(ch, 'unsubscribe', {});
  }

  private answerLatest(channel: string, data: any): void {
    const req = this.pending.get(channel)?.shift();
    if (!req) return;
    clearTimeout(req.timer);
    req.resolve({ ...data, events: decodeStoredEvents(data?.events) });
  }

  private rejectLatest(channel: string, err: Error): void {
    const queue = this.pending.get(channel);
    this.pending.delete(channel);
    for (const req of queue ?? []) {
      clearTimeout(req.timer);
      req.reject(err);
    }
  }

  /** Channel events go to the channel's listeners and, with meta.channel, to the Pushi object's. */
  private channelEvent(ch: Channel, event: string, data: unknown): void {
    const meta = { channel: ch.name };
    ch.emit(event, data, meta);
    this.emit(event, data, meta);
  }
}

/** Stored events with `data` as the live event's listener got it (the wire carries the sent text). */
function decodeStoredEvents(events: unknown): StoredEvent[] {
  if (!Array.isArray(events)) return [];
  for (const e of events) if (e && typeof e === 'object') e.data = decodeAppData(e.data);
  return events;
}

/** App event data as pusher-js gives it: JSON strings parsed, anything else as it came. */
function decodeAppData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
