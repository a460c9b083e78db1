// A channel the app subscribed to (or that a personal channel brought in), with presence members.
import { Emitter } from './emitter.ts';
import type { Position } from './position.ts';
import type { ChannelEventMap, LatestResult, Member } from './types.ts';

/** What a channel needs from the Pushi object that owns it. */
export interface ChannelOwner {
  unsubscribe(name: string): void;
  sendChannel(event: string, data: unknown, channel: string, options?: { persist?: boolean }): boolean;
  latest(channel: string, skip?: number | { since: string }, count?: number): Promise<LatestResult>;
}

export class Channel extends Emitter<ChannelEventMap> {
  /** Confirmed by the server on the current connection. */
  subscribed = false;
  /** Data of the last subscription_succeeded (presence, alias, events…). */
  data: Record<string, any> = {};
  /** Presence channels: members by user id, filled on subscribe and kept by member_added/removed. */
  readonly members = new Map<string, Member>();
  /** Presence channels: this connection's user id, from the auth answer's channel_data. */
  myId?: string;
  /**
   * The last event position received (epoch and offset), kept across reconnects so the re-subscribe
   * asks the server for what was missed; undefined when the server sends no positions.
   */
  position?: Position;
  /** The next event may be the cache channel's last one, sent again after subscription_succeeded. */
  awaitsCachedEvent = false;
  /** The stored id (`mid`) of the last stored event received: where a refetch after recovery_failed starts. */
  lastMid?: string;

  constructor(
    readonly name: string,
    private readonly owner: ChannelOwner,
    /** The personal channel that brought this one in through its alias list, if any. */
    public via?: string,
  ) {
    super();
  }

  get isPresence(): boolean {
    return this.name.startsWith('presence-');
  }

  /** Presence: the member that is this connection. */
  get me(): Member | undefined {
    return this.myId === undefined ? undefined : this.members.get(this.myId);
  }

  /** Sends a client event (`client-…`) to the other subscribers; false when not connected. */
  send(event: string, data: unknown, options?: { persist?: boolean }): boolean {
    return this.owner.sendChannel(event, data, this.name, options);
  }

  unsubscribe(): void {
    this.owner.unsubscribe(this.name);
  }

  /** Stored events of this channel, newest first, or with `{ since: mid }` those after it: `{events}`. */
  latest(skip: number | { since: string } = 0, count = 10): Promise<LatestResult> {
    return this.owner.latest(this.name, skip, count);
  }

  /** @internal */
  succeeded(data: Record<string, any>): void {
    this.subscribed = true;
    this.data = data;
    this.members.clear();
    const presence = data.presence as { hash?: Record<string, unknown> } | undefined;
    if (presence?.hash) for (const [id, info] of Object.entries(presence.hash)) this.members.set(id, { id, info });
  }

  /** @internal Returns the member to announce, or undefined when nothing changed. */
  memberAdded(data: { user_id?: unknown; user_info?: unknown }): Member | undefined {
    if (data.user_id === undefined) return undefined;
    const member = { id: String(data.user_id), info: data.user_info ?? {} };
    this.members.set(member.id, member);
    return member;
  }

  /** @internal */
  memberRemoved(data: { user_id?: unknown }): Member | undefined {
    const id = String(data.user_id);
    const member = this.members.get(id);
    if (!member) return undefined;
    this.members.delete(id);
    return member;
  }

  /** @internal The connection dropped: the server forgot us. */
  reset(): void {
    this.subscribed = false;
    this.members.clear();
  }
}
