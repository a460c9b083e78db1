// Public types of the Pushi client: options, connection states, built-in events.

/** The part of the W3C WebSocket API the client uses (browsers' global, or the `ws` package in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What an auth endpoint or authorizer returns for a private, presence, personal or peer channel. */
export interface ChannelAuth {
  auth: string;
  /** Presence channels: the JSON string that was signed (`{"user_id":…,"user_info":…}`). */
  channel_data?: string;
}

export type Authorizer = (request: { socketId: string; channelName: string }) => Promise<ChannelAuth> | ChannelAuth;

export interface ReconnectOptions {
  /** First back-off delay, ms (default 1000). */
  minDelay?: number;
  /** Longest back-off delay, ms (default 30000). */
  maxDelay?: number;
  /** Share of each delay picked at random, 0–1 (default 0.5): delay × (1 − jitter × random). */
  jitter?: number;
}

export interface PushiOptions {
  /** WebSocket host (default: the page's host in a browser, `localhost` in Node). */
  host?: string;
  /** WebSocket port (default 443 with TLS, else 9090, the server's SERVER_PORT default). */
  port?: number;
  /** wss:// instead of ws:// (default: true on https pages). */
  useTLS?: boolean;
  /** Path the server is mounted under behind a proxy (PUSHI_PATH_PREFIX), e.g. `/pushi`. */
  pathPrefix?: string;
  /** POSTed `socket_id` and `channel_name` (form-encoded) for signed channels; answers `{auth, channel_data?}`. */
  authEndpoint?: string;
  authHeaders?: Record<string, string> | (() => Record<string, string>);
  /** Extra form fields sent to the auth endpoint. */
  authParams?: Record<string, string> | (() => Record<string, string>);
  /** Signs channels in code instead of calling authEndpoint. */
  authorizer?: Authorizer;
  /** The WebSocket constructor; required in Node < 22 (pass `ws`'s default export). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect timing, or false to never reconnect by itself. */
  reconnect?: ReconnectOptions | false;
  /** Upper bound of the server's activity_timeout, seconds (default 120). */
  activityTimeout?: number;
  /** Seconds to wait for any message after our ping before reconnecting (default 30). */
  pongTimeout?: number;
  /** Seconds to wait for the handshake before retrying (default 10). */
  connectTimeout?: number;
  /** Seconds a `latest()` request waits for its answer (default 10). */
  requestTimeout?: number;
  /** Connect in the constructor (default true); otherwise call connect(). */
  autoConnect?: boolean;
}

/**
 * initialized → connecting → connected; on a drop → disconnected → connecting …;
 * failed after a 4000–4099 close (no retry); closed after disconnect().
 */
export type ConnectionState = 'initialized' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface Member {
  id: string;
  info: any;
}

/** A stored event as `latest()` and personal subscriptions return it. */
export interface StoredEvent {
  event: string;
  channel: string;
  data: any;
  mid?: string;
  timestamp?: number;
  [key: string]: unknown;
}

export interface LatestResult {
  events: StoredEvent[];
  [key: string]: unknown;
}

export interface SubscriptionError {
  type: string;
  error: string;
  status: number;
}

/** Built-in events of a channel (data shapes); app events carry whatever was triggered. */
export interface ChannelEventMap {
  /** Subscription confirmed; presence adds `presence`, personal adds `alias` and `events`. */
  subscribe: Record<string, any>;
  subscription_error: SubscriptionError;
  unsubscribe: Record<string, never>;
  member_added: Member;
  member_removed: Member;
  subscription_count: { subscription_count: number };
  cache_miss: Record<string, never>;
  /** A re-subscribe got every event missed while disconnected (they were delivered just before). */
  recovered: { channel: string };
  /**
   * A re-subscribe could not get the missed events (too old, server restarted…): refetch the state.
   * `since`: the `mid` of the last stored event received, for `latest({ since })` on a persisting app.
   */
  recovery_failed: { channel: string; since?: string };
}

/** Built-in events of the Pushi object; channel events are repeated here with meta.channel set. */
export interface PushiEventMap extends ChannelEventMap {
  connect: { socketId: string };
  disconnect: { code: number; reason: string };
  state_change: { previous: ConnectionState; current: ConnectionState };
  /** A reconnect is scheduled after `delay` ms (0 for 4200–4299). */
  reconnecting: { attempt: number; delay: number; code: number };
  /** `pusher:error` from the server, or a local failure (auth endpoint, bad frame). */
  error: { message: string; code: number | null };
}
