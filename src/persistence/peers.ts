// Peer channels: members of a presence channel that join with `"peer": true` get a private pair
// channel `peer-<base>:<a>&<b>` with every other member, torn down when either side leaves.
import type { AppState } from '../hub/app-state.ts';
import type { Channel } from '../hub/channel.ts';
import type { Connection } from '../hub/connection.ts';
import type { Hub } from '../hub/hub.ts';
import { peerChannelName } from '../protocol/channels.ts';
import { encodeSpecEvent } from '../protocol/messages.ts';

export class Peers {
  /** app id + presence channel → users that joined it with the peer flag. */
  private readonly flagged = new Map<string, Set<string>>();

  constructor(private readonly hub: Hub) {}

  joined(state: AppState, conn: Connection, ch: Channel, userId: string, peer: boolean, first: boolean): void {
    const key = `${state.app.id}\n${ch.name}`;
    let set = this.flagged.get(key);
    if (peer) {
      if (!set) this.flagged.set(key, (set = new Set()));
      set.add(userId);
    }
    if (!set) return;
    const joinerIsPeer = set.has(userId);
    for (const [otherId, member] of ch.members) {
      // A pair exists when either of its two users asked for peer channels.
      if (otherId === userId || (!joinerIsPeer && !set.has(otherId))) continue;
      const pair = peerChannelName(ch.name, userId, otherId);
      this.force(state, conn, pair, ch.name);
      if (first) for (const other of member.connections) this.force(state, other, pair, ch.name);
    }
  }

  left(state: AppState, conn: Connection, ch: Channel, userId: string, last: boolean): void {
    // The leaving socket drops its own pairs on this presence channel, on unsubscribe as on disconnect.
    for (const [name, sub] of [...conn.channels])
      if (sub.via === ch.name) this.hub.subscriptions.leave(state, conn, name);
    if (!last) return;
    for (const [otherId, member] of ch.members) {
      const pair = peerChannelName(ch.name, userId, otherId);
      for (const other of [...member.connections]) {
        if (other.channels.get(pair)?.via === ch.name) this.hub.subscriptions.leave(state, other, pair);
      }
    }
    const key = `${state.app.id}\n${ch.name}`;
    const set = this.flagged.get(key);
    set?.delete(userId);
    if (set?.size === 0 || ch.members.size === 0) this.flagged.delete(key);
  }

  private force(state: AppState, conn: Connection, pair: string, presence: string): void {
    if (conn.channels.has(pair)) return;
    this.hub.subscriptions.join(state, conn, pair, undefined, presence);
    conn.write(encodeSpecEvent('pusher_internal:subscription_succeeded', {}, pair));
  }
}
