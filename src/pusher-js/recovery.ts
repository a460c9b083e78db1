// Delivery continuity for an unmodified pusher-js instance: tracks each channel's position from the
// raw frames, adds `recover` to the re-subscribes pusher-js sends after a reconnect, drops events
// already delivered, and reports whether each resume got the missed events.
import { decodeSpecData } from '../client/connection.ts';
import {
  awaitsCachedEvent,
  failedAt,
  isDuplicate,
  readPosition,
  recoveredFlag,
  recoverRequest,
  type Position,
} from '../client/position.ts';
import { hookRawMessages, type PusherJs, type RawMessage, type Verdict } from './internals.ts';

export interface RecoveryEventMap {
  /** A re-subscribe got every missed event; they were delivered just before this. */
  recovered: { channel: string };
  /**
   * A re-subscribe could not get the missed events: the app should refetch that channel's state.
   * `since`: the `mid` of the last stored event received, for `GET …/events?since=` on a persisting app.
   */
  recovery_failed: { channel: string; since?: string };
  /** pusher-js's internals are not the expected ones: events still flow, but nothing is recovered. */
  error: { message: string };
}

export type RecoveryEvent = keyof RecoveryEventMap;

/** Prefix of the events also emitted on the pusher-js channel: `pushi:recovered`, `pushi:recovery_failed`. */
export const CHANNEL_EVENT_PREFIX = 'pushi:';

interface RawFrame {
  event?: unknown;
  channel?: unknown;
  data?: unknown;
  mid?: unknown;
}

type Listener = (data: RecoveryEventMap[RecoveryEvent]) => void;

export class Recovery {
  private readonly positions = new Map<string, Position>();
  /** The stored id of each channel's last stored event (pusher-js drops `mid` when it decodes a frame). */
  private readonly lastMids = new Map<string, string>();
  /** Cache channels whose next event may be their last one sent again after subscription_succeeded. */
  private readonly awaitingCache = new Set<string>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly hooked = new WeakSet<object>();
  /** Socket ids of the previous and the current connection: a resume names the previous one. */
  private previousSocketId?: string;
  private currentSocketId?: string;

  constructor(private readonly pusher: PusherJs) {
    if (pusher.connection.state === 'connected') {
      // The caller is right here: a missing hook throws at once, before anything is wrapped.
      this.noteSocket();
      this.hook();
    }
    this.wrapSendEvent();
    this.wrapUnsubscribe();
    pusher.connection.bind('connected', () => this.connected());
  }

  bind<K extends RecoveryEvent>(event: K, fn: (data: RecoveryEventMap[K]) => void): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener);
    return this;
  }

  /** Removes one listener, every listener of an event (no fn), or all of them (no arguments). */
  unbind<K extends RecoveryEvent>(event?: K, fn?: (data: RecoveryEventMap[K]) => void): this {
    if (event === undefined) this.listeners.clear();
    else if (!fn) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(fn as Listener);
    return this;
  }

  /** The last position received on a channel (a copy), or undefined when none is known. */
  position(channel: string): Position | undefined {
    const p = this.positions.get(channel);
    return p && { ...p };
  }

  private emit<K extends RecoveryEvent>(event: K, data: RecoveryEventMap[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        fn(data);
      } catch (err) {
        console.error('pushi/pusher-js: listener for', event, 'threw', err);
      }
    }
  }

  private noteSocket(): void {
    const id = this.pusher.connection.socket_id;
    if (!id || id === this.currentSocketId) return;
    this.previousSocketId = this.currentSocketId;
    this.currentSocketId = id;
  }

  private hook(): void {
    hookRawMessages(this.pusher, this.hooked, (m) => this.judge(m));
  }

  /** Each new socket gets the hook; a failure must not break pusher-js's own 'connected' listeners. */
  private connected(): void {
    this.noteSocket();
    try {
      this.hook();
    } catch (err) {
      const message = (err as Error).message;
      console.error(message);
      this.emit('error', { message });
    }
  }

  /** pusher-js re-subscribes every channel on each connect through pusher.send_event: add the position. */
  private wrapSendEvent(): void {
    const send = this.pusher.send_event;
    this.pusher.send_event = (event: string, data: unknown, channel?: string): boolean => {
      const name = event === 'pusher:subscribe' ? (data as { channel?: unknown } | null)?.channel : undefined;
      if (typeof name === 'string') {
        this.noteSocket();
        const position = this.positions.get(name);
        if (position) data = { ...(data as object), recover: recoverRequest(position, this.previousSocketId) };
      }
      return send.call(this.pusher, event, data, channel);
    };
  }

  /** A channel left is forgotten: subscribing again later starts fresh. */
  private wrapUnsubscribe(): void {
    const unsubscribe = this.pusher.unsubscribe;
    this.pusher.unsubscribe = (channel: string): void => {
      this.positions.delete(channel);
      this.lastMids.delete(channel);
      unsubscribe.call(this.pusher, channel);
    };
  }

  private judge(message: RawMessage): Verdict {
    const text = message.data;
    // Frames without a position or a subscription answer go through unparsed.
    if (typeof text !== 'string' || !(text.includes('epoch') || text.includes('subscription_succeeded'))) return true;
    let frame: RawFrame;
    try {
      frame = JSON.parse(text) as RawFrame;
    } catch {
      return true; // pusher-js reports it
    }
    const { event, channel } = frame ?? {};
    if (typeof event !== 'string' || typeof channel !== 'string') return true;
    if (event === 'pusher_internal:subscription_succeeded') return this.succeeded(channel, decodeSpecData(frame.data));
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return true;
    const position = readPosition(frame);
    if (!position || !this.pusher.channel(channel)) return true;
    const cached = this.awaitingCache.delete(channel);
    if (isDuplicate(this.positions.get(channel), position)) return cached; // the cached event: delivered, position kept
    this.positions.set(channel, position);
    if (typeof frame.mid === 'string') this.lastMids.set(channel, frame.mid);
    return true;
  }

  /** Takes the server's current position, then (after pusher-js has announced the subscription) the outcome. */
  private succeeded(channel: string, data: unknown): Verdict {
    const position = readPosition(data);
    if (position) this.positions.set(channel, position);
    else this.positions.delete(channel);
    const recovered = recoveredFlag(data);
    if (awaitsCachedEvent(channel, recovered)) this.awaitingCache.add(channel);
    else this.awaitingCache.delete(channel);
    if (recovered === undefined) return true;
    const event = recovered ? 'recovered' : 'recovery_failed';
    const report = recovered ? { channel } : failedAt(channel, this.lastMids.get(channel));
    return () => {
      this.pusher.channel(channel)?.emit(CHANNEL_EVENT_PREFIX + event, report);
      this.emit(event, report);
    };
  }
}
