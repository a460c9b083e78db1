// A channel on this node: its subscribers and, for presence channels, its members by user id.
import { type ChannelRules, channelRules } from '../protocol/channels.ts';
import { encodeSpecEvent } from '../protocol/messages.ts';
import type { Connection } from './connection.ts';

export interface Member {
  info: unknown;
  /** This node's connections of the user on the channel: added on the first, removed on the last. */
  connections: Set<Connection>;
  /** A connection joined with `"peer": true` in its channel_data (persistence/peers.ts). */
  peer: boolean;
}

export class Channel {
  readonly subscribers = new Set<Connection>();
  readonly members = new Map<string, Member>();
  readonly rules: ChannelRules;
  /** Last subscription_count sent, for throttling. */
  countSentAt = 0;
  countSent = -1;

  constructor(readonly name: string) {
    this.rules = channelRules(name);
  }

  get presence(): boolean {
    return this.rules.kind === 'presence';
  }

  /** pusher_internal:member_added / member_removed for this channel. */
  memberEvent(userId: string, added: boolean, info: unknown): string {
    return added
      ? encodeSpecEvent('pusher_internal:member_added', { user_id: userId, user_info: info ?? {} }, this.name)
      : encodeSpecEvent('pusher_internal:member_removed', { user_id: userId }, this.name);
  }

  presenceData(): { presence: { ids: string[]; hash: Record<string, unknown>; count: number } } {
    const hash: Record<string, unknown> = {};
    for (const [id, m] of this.members) hash[id] = m.info ?? {};
    return { presence: { ids: [...this.members.keys()], hash, count: this.members.size } };
  }
}
