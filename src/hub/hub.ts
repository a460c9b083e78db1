// The hub: the state of one node (apps → channels → connections) and the protocol's behaviour.
// Transports call open/message/closed; the HTTP API calls publish and the queries.
import type { App, AppSource } from '../apps/app.ts';
import { ErrorCode, PusherError, warn } from '../protocol/errors.ts';
import { decodeInbound, encodeSpecEvent, type InboundMessage, objectData } from '../protocol/messages.ts';
import { newSocketId } from '../protocol/ids.ts';
import { AppState } from './app-state.ts';
import { Connection, type SocketLike } from './connection.ts';
import type { HubObserver } from './observer.ts';
import { Subscriptions } from './subscriptions.ts';
import { clientEvent } from './client-events.ts';
import { Users } from './users.ts';
import type { HubExtension } from './extension.ts';
import type { AdapterContext, ClusterAdapter, ClusterObserver } from '../cluster/adapter.ts';
import { MemoryAdapter } from '../cluster/memory/memory-adapter.ts';
import { LocalNode } from './local-node.ts';
import { type LaneHandler, MessageLanes } from './message-lanes.ts';
import { originAllowed } from '../limits/origins.ts';

export interface HubOptions {
  apps: AppSource;
  /** Seconds of silence before we ping (sent to clients in the handshake). */
  activityTimeout: number;
  /** Seconds to wait for any answer to our ping before 4201. */
  pongTimeout: number;
  maxBufferedBytes: number;
  observer?: HubObserver;
  /** How often the activity sweep runs, ms. */
  sweepIntervalMs?: number;
  /** Process-wide cap on the bytes of channels' recent history (PUSHI_RECOVERY_MAX_BYTES). */
  recoveryMaxBytes?: number;
  /** The cluster adapter, built around this hub (default: this node alone, in memory). */
  cluster?: (ctx: AdapterContext) => ClusterAdapter;
  /** Told once per cluster of occupied/vacated, member added/removed and subscription counts (webhooks). */
  clusterObserver?: ClusterObserver;
}

const SUPPORTED_PROTOCOLS = new Set(['5', '6', '7']);
const MAX_BACKLOG = 100;

export class Hub {
  readonly states = new Map<string, AppState>();
  readonly observer: HubObserver;
  readonly subscriptions: Subscriptions;
  readonly users: Users;
  extension?: HubExtension;
  /** The other nodes, or this one alone: presence, counts and publishing go through it. */
  readonly cluster: ClusterAdapter;
  private sweepTimer?: NodeJS.Timeout;
  /** Connections with a message in flight: their later messages go through its lanes. */
  private inFlight = new WeakMap<Connection, MessageLanes>();
  private connectionCount = 0;
  /** Set by shutdown(): sockets arriving during the grace period are told 4200 too. */
  private shuttingDown = false;

  constructor(readonly options: HubOptions) {
    this.observer = options.observer ?? {};
    this.subscriptions = new Subscriptions(this);
    this.users = new Users(this);
    const local = new LocalNode(this);
    const maxStreamBytes = options.recoveryMaxBytes ?? 64 * 1024 * 1024;
    const ctx = { events: local, local, observer: options.clusterObserver ?? {}, maxStreamBytes };
    this.cluster = options.cluster ? options.cluster(ctx) : new MemoryAdapter(ctx);
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), options.sweepIntervalMs ?? 1000);
    this.sweepTimer.unref();
  }

  get connections(): number {
    return this.connectionCount;
  }

  /** The node-local state of an app, created on first use; keeps the freshest app record. */
  state(app: App): AppState {
    let s = this.states.get(app.id);
    if (!s) {
      s = new AppState(app);
      this.states.set(app.id, s);
    } else if (s.app !== app) {
      s.app = app;
    }
    return s;
  }

  /**
   * A socket asked for /app/{key} (`protocol`: the query's protocol parameter, null when absent).
   * Returns the connection, or undefined after rejecting it with the Pusher code (`pusher:error`,
   * then close with the same code). Synchronous when the app is cached: the transport can then
   * send `connection_established` in the same write as the handshake; a promise when the app
   * must be looked up first.
   */
  open(
    socket: SocketLike,
    appKey: string,
    protocol: string | null,
  ): Connection | undefined | Promise<Connection | undefined> {
    if (protocol !== null && !SUPPORTED_PROTOCOLS.has(protocol)) {
      return this.reject(
        socket,
        appKey,
        ErrorCode.UNSUPPORTED_PROTOCOL,
        `Unsupported protocol version ${protocol}; this server speaks 7`,
      );
    }
    const known = this.options.apps.peekByKey?.(appKey);
    if (known) return this.admit(socket, appKey, known);
    return this.options.apps.findByKey(appKey).then(
      (app) => this.admit(socket, appKey, app),
      () => this.reject(socket, appKey, ErrorCode.SERVER_ERROR, 'Could not look up the app; try again'),
    );
  }

  private admit(socket: SocketLike, appKey: string, app: App | undefined): Connection | undefined {
    if (this.shuttingDown)
      return this.reject(socket, appKey, ErrorCode.RECONNECT, 'Server shutting down; please reconnect');
    if (!app) return this.reject(socket, appKey, ErrorCode.APP_NOT_FOUND, `App key ${appKey} does not exist`);
    if (!app.enabled) return this.reject(socket, appKey, ErrorCode.APP_DISABLED, 'App is disabled');
    if (!originAllowed(app.options.allowedOrigins, socket.origin)) {
      return this.reject(
        socket,
        appKey,
        ErrorCode.UNAUTHORIZED,
        `Origin ${socket.origin ?? '(none)'} is not allowed for this app`,
      );
    }
    const state = this.state(app);
    if (app.options.maxConnections > 0 && state.connections.size >= app.options.maxConnections) {
      return this.reject(
        socket,
        appKey,
        ErrorCode.OVER_CONNECTION_QUOTA,
        `App is over its connection quota (${app.options.maxConnections})`,
      );
    }
    const conn = new Connection(newSocketId(), app, socket, this.options.maxBufferedBytes, Date.now(), state.traffic);
    state.connections.set(conn.id, conn);
    this.connectionCount++;
    conn.write(
      encodeSpecEvent('pusher:connection_established', {
        socket_id: conn.id,
        activity_timeout: this.options.activityTimeout,
      }),
    );
    this.observer.connectionOpened?.(app.id, conn.id);
    return conn;
  }

  private reject(socket: SocketLike, appKey: string, code: number, message: string): undefined {
    socket.send(encodeSpecEvent('pusher:error', { message, code }));
    socket.close(code, message);
    this.observer.connectionRejected?.(appKey, code, message);
    return undefined;
  }

  /**
   * One text frame from a client. Messages of one connection are handled in order; while one waits
   * (a store read, the cluster), only the later ones that depend on it wait too (message-lanes.ts).
   */
  message(conn: Connection, text: string): void {
    conn.lastSeen = Date.now();
    conn.pingSentAt = 0;
    if (conn.closed) return;
    conn.traffic.messagesIn++;
    conn.traffic.bytesIn += text.length;
    const lanes = this.inFlight.get(conn);
    if (lanes) {
      if (lanes.queued >= MAX_BACKLOG) conn.close(ErrorCode.OVER_CAPACITY, 'Too many messages in flight');
      else lanes.arrive(text);
      return;
    }
    this.process(conn, text);
  }

  /** Any frame (including WebSocket ping/pong control frames) proves the client is alive. */
  touch(conn: Connection): void {
    conn.lastSeen = Date.now();
    conn.pingSentAt = 0;
  }

  private process(conn: Connection, text: string): void {
    let msg: InboundMessage;
    let pending: Promise<void> | void;
    try {
      msg = decodeInbound(text);
      pending = this.dispatch(conn, msg);
    } catch (err) {
      this.fail(conn, err);
      return;
    }
    if (!pending) return;
    const lanes = new MessageLanes(conn, this.laneHandler);
    this.inFlight.set(conn, lanes);
    lanes.started(
      msg,
      pending.catch((err) => this.fail(conn, err)),
    );
  }

  private readonly laneHandler: LaneHandler = {
    attempt: (conn, msg) => {
      let pending: Promise<void> | void;
      try {
        pending = this.dispatch(conn, msg);
      } catch (err) {
        this.fail(conn, err);
        return undefined;
      }
      return pending ? pending.catch((err) => this.fail(conn, err)) : undefined;
    },
    fail: (conn, err) => this.fail(conn, err),
    idle: (conn) => this.inFlight.delete(conn),
  };

  private dispatch(conn: Connection, msg: InboundMessage): Promise<void> | void {
    switch (msg.event) {
      case 'pusher:ping':
        conn.write(encodeSpecEvent('pusher:pong', {}));
        return;
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return this.subscriptions.subscribe(conn, objectData(msg));
      case 'pusher:unsubscribe':
        return this.subscriptions.unsubscribe(conn, objectData(msg));
      case 'pusher:signin':
        return this.users.signin(conn, objectData(msg));
    }
    if (msg.event.startsWith('client-')) return clientEvent(this, conn, msg);
    const handled = this.extension?.handle?.(conn, msg);
    if (handled !== undefined) return handled === true ? undefined : handled;
    throw warn(null, `Unknown event "${msg.event}"`);
  }

  private fail(conn: Connection, err: unknown): void {
    if (err instanceof PusherError) {
      conn.sendError(err);
      return;
    }
    // A bug or a failing dependency must not take the process down: report it to this client only.
    conn.sendError(new PusherError('Internal server error', ErrorCode.SERVER_ERROR));
    process.emitWarning(`pushi: unexpected error handling a message: ${(err as Error)?.stack ?? err}`);
  }

  /** The transport saw the socket close: leave every channel, forget the user. */
  closed(conn: Connection): void {
    conn.closed = true;
    const state = this.states.get(conn.app.id);
    if (!state || !state.connections.delete(conn.id)) return;
    this.connectionCount--;
    for (const name of [...conn.channels.keys()]) this.subscriptions.leave(state, conn, name);
    this.users.forget(state, conn);
    this.observer.connectionClosed?.(conn.app.id, conn.id);
  }

  /** One pass over every connection: ping the silent, drop the unanswering, enforce sign-in. */
  sweep(now: number): void {
    const idleMs = this.options.activityTimeout * 1000;
    const pongMs = this.options.pongTimeout * 1000;
    const ping = encodeSpecEvent('pusher:ping', {});
    for (const state of this.states.values()) {
      const { userAuthentication, userAuthenticationTimeout } = state.app.options;
      for (const conn of state.connections.values()) {
        if (conn.pingSentAt) {
          if (now - conn.pingSentAt >= pongMs)
            conn.closeWithError(ErrorCode.PONG_NOT_RECEIVED, 'Pong reply not received');
        } else if (now - conn.lastSeen >= idleMs) {
          conn.pingSentAt = now;
          conn.write(ping);
        }
        if (userAuthentication && !conn.user && now - conn.connectedAt >= userAuthenticationTimeout * 1000) {
          conn.closeWithError(ErrorCode.UNAUTHORIZED, 'Connection not signed in within the time allowed');
        }
      }
    }
    this.subscriptions.flushCounts(now);
  }

  /**
   * Delivers an app event to this node's subscribers of a channel. The frame is encoded once by
   * the caller and the same bytes go to every subscriber.
   */
  deliver(appId: string, channel: string, frame: Buffer, exceptSocketId?: string): number {
    const state = this.states.get(appId);
    if (!state) return 0;
    const n = state.fanOut(channel, frame, exceptSocketId);
    state.traffic.messagesOut += n;
    state.traffic.bytesOut += n * frame.length;
    return n;
  }

  /**
   * Publishes to the channel's subscribers on every node, this one included, in the cluster's
   * order. `cacheTtlMs`: a cache channel's event, remembered on every node for that long.
   */
  publish(appId: string, channel: string, frame: Buffer, exceptSocketId?: string, cacheTtlMs?: number): void {
    this.cluster.publish(appId, channel, frame, exceptSocketId, cacheTtlMs);
  }

  /** Closes a user's connections on every node. */
  terminateUser(appId: string, userId: string): void {
    this.cluster.terminateUser(appId, userId);
  }

  /** Closes every connection with 4200 so clients reconnect elsewhere. */
  shutdown(): void {
    this.shuttingDown = true;
    clearInterval(this.sweepTimer);
    for (const state of this.states.values()) {
      for (const conn of state.connections.values()) {
        conn.closeWithError(ErrorCode.RECONNECT, 'Server shutting down; please reconnect');
      }
    }
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.subscriptions.stop();
  }
}
