// The order of one connection's messages while some of them wait (a store read, the cluster). A
// waiting message holds only what depends on it: later messages on its channel wait behind it, in
// order; pings and messages on other channels go ahead. A message whose effects reach past one
// channel (sign-in, personal channels, extension events) waits for everything before it and holds
// everything after it. Hub.message keeps the common case (nothing waiting) free of all this.
import { channelRules, parsePeerChannel } from '../protocol/channels.ts';
import { decodeInbound, type InboundMessage } from '../protocol/messages.ts';
import type { Connection } from './connection.ts';

/** The lane of messages ordered against every other one (channel names are never empty). */
const ALL = '';

/**
 * The lane a message is ordered in: its channel (a peer channel's is its presence channel, which
 * joins and leaves it), ALL, or null for pings and pongs, which depend on nothing. `busy`: lanes
 * with a message in flight; a subscribe that could pass the channel cap only because joins are
 * still in flight waits for them, so the cap stays exact.
 */
export function laneOf(conn: Connection, msg: InboundMessage, busy: number): string | null {
  let channel: unknown;
  switch (msg.event) {
    case 'pusher:ping':
    case 'pusher:pong':
      return null;
    case 'pusher:subscribe':
    case 'pusher:unsubscribe':
      channel = (msg.data as Record<string, unknown> | null)?.channel;
      break;
    default:
      if (!msg.event.startsWith('client-')) return ALL;
      channel = msg.channel;
  }
  if (typeof channel !== 'string' || channel === ALL) return ALL;
  const { kind } = channelRules(channel);
  if (kind === 'personal') return ALL; // joins the user's subscribed channels, unknown until read
  if (msg.event === 'pusher:subscribe') {
    const cap = conn.app.options.maxChannelsPerConnection;
    if (cap > 0 && conn.channels.size + busy >= cap && !conn.channels.has(channel)) return ALL;
  }
  return kind === 'peer' ? (parsePeerChannel(channel)?.presence ?? channel) : channel;
}

export interface LaneHandler {
  /** Handles a message; a promise (its failure already reported) when it goes on asynchronously. */
  attempt(conn: Connection, msg: InboundMessage): Promise<void> | undefined;
  /** Reports a message that could not be decoded. */
  fail(conn: Connection, err: unknown): void;
  /** Nothing is in flight any more: the connection is back on the direct path. */
  idle(conn: Connection): void;
}

/** A connection's messages in flight and those waiting behind them; exists only while one is in flight. */
export class MessageLanes {
  /** Lanes with a message in flight → the messages waiting behind it. */
  private readonly lanes = new Map<string, InboundMessage[]>();
  /** An ALL message that found lanes busy, and everything after it: run once every lane is done. */
  private held?: InboundMessage[];
  /** Messages waiting, in every lane. */
  queued = 0;

  constructor(
    private readonly conn: Connection,
    private readonly handler: LaneHandler,
  ) {}

  /** The first message in flight (the hub ran it on the direct path). */
  started(msg: InboundMessage, pending: Promise<void>): void {
    this.start(laneOf(this.conn, msg, 0) ?? ALL, pending);
  }

  /** A frame that arrived while messages are in flight. */
  arrive(text: string): void {
    let msg: InboundMessage;
    try {
      msg = decodeInbound(text);
    } catch (err) {
      this.handler.fail(this.conn, err);
      return;
    }
    this.admit(msg);
  }

  private admit(msg: InboundMessage): void {
    const lane = laneOf(this.conn, msg, this.lanes.size);
    if (lane === null) {
      void this.handler.attempt(this.conn, msg); // answered at once
      return;
    }
    const behind = this.held ?? this.lanes.get(ALL) ?? this.lanes.get(lane);
    if (behind) {
      behind.push(msg);
      this.queued++;
    } else if (lane === ALL && this.lanes.size > 0) {
      this.held = [msg];
      this.queued++;
    } else {
      const pending = this.handler.attempt(this.conn, msg);
      if (pending) this.start(lane, pending);
    }
  }

  private start(lane: string, pending: Promise<void>): void {
    this.lanes.set(lane, []);
    void pending.then(() => this.finish(lane));
  }

  private finish(lane: string): void {
    const waiting = this.lanes.get(lane)!;
    this.lanes.delete(lane);
    this.queued -= waiting.length;
    if (this.conn.closed) {
      this.lanes.clear();
      this.held = undefined;
      this.queued = 0;
    } else if (lane === ALL) {
      // Nothing else was in flight: each message finds its own lane again.
      for (const msg of waiting) this.admit(msg);
    } else {
      for (let i = 0; i < waiting.length; i++) {
        const pending = this.handler.attempt(this.conn, waiting[i]);
        if (!pending) continue;
        this.start(lane, pending);
        const rest = waiting.slice(i + 1);
        this.lanes.set(lane, rest);
        this.queued += rest.length;
        break;
      }
    }
    if (this.lanes.size === 0 && this.held) {
      const held = this.held;
      this.held = undefined;
      this.queued -= held.length;
      for (const msg of held) this.admit(msg);
    }
    if (this.lanes.size === 0 && !this.held) this.handler.idle(this.conn);
  }
}
