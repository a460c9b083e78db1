// One logical connection over successive sockets: handshake, ping/pong, close codes, reconnects.
import type { ConnectionState, ReconnectOptions, WebSocketConstructor, WebSocketLike } from './types.ts';

export interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string;
  mid?: string;
  timestamp?: number;
  /** Client events: store it (or not) regardless of the app's persist option. */
  persist?: boolean;
  /** The event's position in its channel (servers with recovery on). */
  epoch?: unknown;
  offset?: unknown;
}

export type CloseAction = 'stop' | 'backoff' | 'now';

/** Pusher's close-code ranges: 4000–4099 never retry, 4200–4299 retry at once, the rest back off. */
export function closeAction(code: number): CloseAction {
  if (code >= 4000 && code <= 4099) return 'stop';
  if (code >= 4200 && code <= 4299) return 'now';
  return 'backoff';
}

/** Exponential back-off with jitter: min × 2^attempt, capped, minus a random share. */
export function backoffDelay(attempt: number, o: Required<ReconnectOptions>, random = Math.random): number {
  const base = Math.min(o.maxDelay, o.minDelay * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - o.jitter * random()));
}

export interface ConnectionHooks {
  established(socketId: string): void;
  message(frame: Frame): void;
  state(previous: ConnectionState, current: ConnectionState): void;
  closed(code: number, reason: string): void;
  reconnecting(info: { attempt: number; delay: number; code: number }): void;
  error(message: string, code: number | null): void;
}

export interface ConnectionSettings {
  url: () => string;
  WebSocket: WebSocketConstructor;
  reconnect: Required<ReconnectOptions> | false;
  activityTimeout: number;
  pongTimeout: number;
  connectTimeout: number;
}

const OPEN = 1;

export class Connection {
  state: ConnectionState = 'initialized';
  socketId?: string;
  private socket?: WebSocketLike;
  private attempt = 0;
  private lastImmediate = 0;
  private activityMs = 120_000;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private connectTimer?: ReturnType<typeof setTimeout>;
  private activityTimer?: ReturnType<typeof setTimeout>;
  private pongTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
  ) {}

  connect(): void {
    if (this.state === 'connecting' || this.state === 'connected') return;
    clearTimeout(this.retryTimer);
    this.setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.settings.WebSocket(this.settings.url());
    } catch (err) {
      this.closed(1006, `Cannot open a WebSocket: ${(err as Error).message}`);
      return;
    }
    this.socket = ws;
    this.connectTimer = setTimeout(() => this.drop(1006, 'Handshake timed out'), this.settings.connectTimeout * 1000);
    ws.onmessage = (ev: { data: unknown }) => {
      if (this.socket === ws) this.received(typeof ev.data === 'string' ? ev.data : String(ev.data));
    };
    ws.onclose = (ev: { code?: number; reason?: string }) => {
      if (this.socket === ws) this.closed(ev.code ?? 1006, ev.reason ?? '');
    };
    ws.onerror = () => undefined; // a close event always follows
  }

  /** Closes for good (state `closed`); connect() starts again. */
  disconnect(): void {
    clearTimeout(this.retryTimer);
    const was = this.state;
    if (this.socket) this.drop(1000, 'Closed by the client', true);
    else if (was !== 'closed') this.setState('closed');
  }

  /** Sends a frame when connected; false otherwise (nothing is queued). */
  send(frame: Frame): boolean {
    if (this.state !== 'connected' || !this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private received(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      this.hooks.error('Received a frame that is not JSON', null);
      return;
    }
    if (!frame || typeof frame.event !== 'string') return;
    this.resetActivity();
    switch (frame.event) {
      case 'pusher:connection_established': {
        const data = decodeSpecData(frame.data) as { socket_id?: string; activity_timeout?: number };
        clearTimeout(this.connectTimer);
        this.socketId = String(data.socket_id);
        const serverTimeout = Number(data.activity_timeout) || this.settings.activityTimeout;
        this.activityMs = Math.min(serverTimeout, this.settings.activityTimeout) * 1000;
        this.attempt = 0;
        this.setState('connected');
        this.resetActivity();
        this.hooks.established(this.socketId);
        return;
      }
      case 'pusher:ping':
        this.send({ event: 'pusher:pong', data: {} });
        return;
      case 'pusher:pong':
        return;
    }
    this.hooks.message(frame);
  }

  /** After activityTimeout of silence, ping; if nothing arrives within pongTimeout, reconnect. */
  private resetActivity(): void {
    clearTimeout(this.activityTimer);
    clearTimeout(this.pongTimer);
    if (this.state !== 'connected') return;
    this.activityTimer = setTimeout(() => {
      this.send({ event: 'pusher:ping', data: {} });
      this.pongTimer = setTimeout(() => this.drop(4201, 'Pong not received'), this.settings.pongTimeout * 1000);
    }, this.activityMs);
  }

  /** Abandons the current socket as if it had closed with `code`. */
  private drop(code: number, reason: string, byClient = false): void {
    const ws = this.socket;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onopen = null;
      try {
        ws.close(1000);
      } catch {
        // already closing
      }
    }
    this.closed(code, reason, byClient);
  }

  private closed(code: number, reason: string, byClient = false): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.activityTimer);
    clearTimeout(this.pongTimer);
    this.socket = undefined;
    this.socketId = undefined;
    if (byClient) this.setState('closed');
    this.hooks.closed(code, reason);
    if (byClient || this.state === 'closed') return;
    const policy = this.settings.reconnect;
    let action: CloseAction = policy === false ? 'stop' : closeAction(code);
    if (action === 'stop') {
      this.setState(code >= 4000 && code <= 4099 ? 'failed' : 'disconnected');
      return;
    }
    // A server closing with 42xx right after every handshake would make us spin: back off then.
    const now = Date.now();
    if (action === 'now' && now - this.lastImmediate < 1000) action = 'backoff';
    if (action === 'now') this.lastImmediate = now;
    this.setState('disconnected');
    const delay = action === 'now' ? 0 : backoffDelay(this.attempt, policy as Required<ReconnectOptions>);
    this.attempt++;
    this.hooks.reconnecting({ attempt: this.attempt, delay, code });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private setState(next: ConnectionState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.hooks.state(previous, next);
  }
}

/** Spec events carry `data` as a JSON string; be lenient with objects. */
export function decodeSpecData(data: unknown): any {
  if (typeof data !== 'string') return data ?? {};
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
