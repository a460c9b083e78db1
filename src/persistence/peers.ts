// Peer channels: members of a presence channel that join with `"peer": true` get a private pair
// channel `peer-<base>:<a>&<b>` with every other member, torn down when either side leaves.
// Each node joins only its own connections to their pairs. It learns the other members (and who
// asked for pairs) from the cluster's member announcements, so a pair spans nodes: each side is
// joined where it is connected, and the cluster routes the pair's events like any channel's.
import type { AppState } from '../hub/app-state.ts';
import type { Channel } from '../hub/channel.ts';
import type { Connection } from '../hub/connection.ts';
import type { Hub } from '../hub/hub.ts';
import { peerChannelName } from '../protocol/channels.ts';
import { encodeSpecEvent } from '../protocol/messages.ts';

export class Peers {
  /**
   * app id + presence channel → users the cluster announced with the peer flag, kept while this
   * node has members there (the cluster announces members only to nodes that have some).
   */
  private readonly flagged = new Map<string, Set<string>>();

  constructor(private readonly hub: Hub) {}

  /** A connection of this node joined the presence channel as `userId`: it joins the user's pairs. */
  joined(state: AppState, conn: Connection, ch: Channel, userId: string): void {
    const flagged = this.flagged.get(key(state, ch));
    // A pair exists when either of its two users asked for peer channels: a flagged joiner pairs
    // with every member the cluster has told this node of, any other joiner with the flagged ones.
    const others = this.isPeer(ch, flagged, userId)
      ? this.hub.cluster.members(state.app.id, ch.name, '').presence.ids
      : flagged;
    if (!others) return;
    for (const otherId of others) {
      if (otherId !== userId) this.force(state, conn, peerChannelName(ch.name, userId, otherId), ch.name);
    }
  }

  /**
   * The cluster announced a member: this node's other members join their pair with it, or, when its
   * last connection anywhere left, leave it.
   */
  announced(state: AppState, ch: Channel, userId: string, added: boolean, peer: boolean): void {
    const k = key(state, ch);
    let flagged = this.flagged.get(k);
    if (added && peer) {
      if (!flagged) this.flagged.set(k, (flagged = new Set()));
      flagged.add(userId);
    } else if (!added && flagged?.delete(userId) && flagged.size === 0) {
      this.flagged.delete(k);
    }
    for (const [otherId, member] of ch.members) {
      if (otherId === userId) continue;
      const pair = peerChannelName(ch.name, userId, otherId);
      if (!added) {
        for (const other of [...member.connections])
          if (other.channels.get(pair)?.via === ch.name) this.hub.subscriptions.leave(state, other, pair);
      } else if (peer || this.isPeer(ch, flagged, otherId)) {
        for (const other of member.connections) this.force(state, other, pair, ch.name);
      }
    }
  }

  /**
   * A connection left the presence channel: it drops its own pairs there, on unsubscribe as on
   * disconnect. The other sides leave theirs when the cluster announces the user gone.
   */
  left(state: AppState, conn: Connection, ch: Channel): void {
    for (const [name, sub] of [...conn.channels])
      if (sub.via === ch.name) this.hub.subscriptions.leave(state, conn, name);
    // No member here any more: the cluster stops announcing this channel to this node.
    if (ch.members.size === 0) this.flagged.delete(key(state, ch));
  }

  private isPeer(ch: Channel, flagged: Set<string> | undefined, userId: string): boolean {
    return !!ch.members.get(userId)?.peer || !!flagged?.has(userId);
  }

  private force(state: AppState, conn: Connection, pair: string, presence: string): void {
    if (conn.channels.has(pair)) return;
    this.hub.subscriptions.join(state, conn, pair, undefined, presence);
    const confirm = () => {
      if (conn.channels.get(pair)?.via === presence) {
        conn.write(encodeSpecEvent('pusher_internal:subscription_succeeded', {}, pair));
      }
    };
    // Confirmed once this node hears the pair from the cluster: from then on nothing sent on it is missed.
    const listening = this.hub.cluster.recover(state.app.id, pair, undefined);
    if (listening instanceof Promise) void listening.then(confirm, confirm);
    else confirm();
  }
}

const key = (state: AppState, ch: Channel) => `${state.app.id}\n${ch.name}`;
