// The state of one app on this node: connections, channels, signed-in users, cached events.
import type { App } from '../apps/app.ts';
import type { Position } from '../protocol/positions.ts';
import { Channel } from './channel.ts';
import type { Connection } from './connection.ts';

export interface CachedEvent {
  frame: Buffer;
  event: string;
  data: unknown;
  expiresAt: number;
  /** The event's channel position, once it has one (the frame carries it too). */
  position?: Position;
}

/**
 * What this node's sockets of one app received and were sent, counted by the hub as it happens.
 * Metrics and the console read it when they sample: nothing is reported per message.
 */
export class Traffic {
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
}

export class AppState {
  readonly traffic = new Traffic();
  readonly connections = new Map<string, Connection>();
  readonly channels = new Map<string, Channel>();
  /** Signed-in users → their connections on this node. */
  readonly users = new Map<string, Set<Connection>>();
  /** Watched user id → connections watching it. */
  readonly watchers = new Map<string, Set<Connection>>();
  readonly cache = new Map<string, CachedEvent>();

  constructor(public app: App) {}

  channel(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  /** The channel, created on first use. */
  ensureChannel(name: string): Channel {
    let ch = this.channels.get(name);
    if (!ch) {
      ch = new Channel(name);
      this.channels.set(name, ch);
    }
    return ch;
  }

  /** Drops a channel with no subscribers left; returns true when it was vacated. */
  dropIfEmpty(ch: Channel): boolean {
    if (ch.subscribers.size > 0) return false;
    this.channels.delete(ch.name);
    return true;
  }

  /** Writes one pre-encoded frame to every subscriber but `except`. Returns how many got it. */
  fanOut(channelName: string, frame: Buffer, except?: string): number {
    const ch = this.channels.get(channelName);
    if (!ch) return 0;
    let n = 0;
    for (const conn of ch.subscribers) {
      if (conn.id === except) continue;
      conn.write(frame);
      n++;
    }
    return n;
  }

  /**
   * Keeps a cache channel's event unless a later one is already kept: by position in one epoch
   * (the order every node sees), else by expiry.
   */
  remember(channel: string, entry: CachedEvent): void {
    const old = this.cache.get(channel);
    const a = old?.position;
    const b = entry.position;
    const later = a && b && a.epoch === b.epoch ? a.offset <= b.offset : !old || old.expiresAt <= entry.expiresAt;
    if (later) this.cache.set(channel, entry);
  }

  cached(channel: string, now: number): CachedEvent | undefined {
    const c = this.cache.get(channel);
    if (c && c.expiresAt <= now) {
      this.cache.delete(channel);
      return undefined;
    }
    return c;
  }
}
