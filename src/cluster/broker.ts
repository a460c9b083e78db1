// What the hub asks of the other nodes when scaled out. A broker fans frames out to them; a
// cluster-aware broker also owns the decisions that need every node's view: presence members,
// subscriber and user counts (occupied/vacated, subscription_count, watchlists).
import type { AppState } from '../hub/app-state.ts';
import type { Channel } from '../hub/channel.ts';
import type { Connection } from '../hub/connection.ts';
import type { Hub } from '../hub/hub.ts';
import type { HubObserver } from '../hub/observer.ts';
import type { Scripts } from './scripts.ts';

export interface Broker {
  /**
   * Hands a frame to every other node (exactly once each). Returns true when the broker also
   * delivers it on this node, in the cluster's order; false when the hub must deliver it here.
   */
  publish(appId: string, channel: string, frame: Buffer, exceptSocketId?: string): boolean;
  /** Closes the user's connections on every other node. */
  terminateUser?(appId: string, userId: string): void;
  /** Present when presence and counts are cluster-wide; the hub then leaves those decisions here. */
  cluster?: ClusterState;
}

export interface PresenceData {
  presence: { ids: string[]; hash: Record<string, unknown>; count: number };
}

/**
 * Called by the hub after its own node-local bookkeeping (Channel.members, AppState.users stay
 * node-local). The cluster sends member_added/member_removed, watchlist and count events itself.
 */
export interface ClusterState {
  /**
   * A member connection joined a presence channel. Resolves when subscription_succeeded may be
   * sent; rejects with a PusherError when the channel is full cluster-wide.
   */
  memberJoined(state: AppState, conn: Connection, ch: Channel, userId: string, info: unknown): Promise<void>;
  /** A member connection left (already removed from ch.members' connections). */
  memberLeft(state: AppState, conn: Connection, ch: Channel, userId: string): void;
  /** The cluster-wide member list for `conn`'s subscription_succeeded (marks it confirmed). */
  presenceData(state: AppState, ch: Channel, conn: Connection): PresenceData;
  /** This node's subscriber count of a channel changed (occupied/vacated, subscription_count). */
  subscribersChanged(state: AppState, channel: string): void;
  /** The last cluster-wide subscriber count heard of, if any. */
  subscriptionCount(appId: string, channel: string): number | undefined;
  /** This node's signed-in connections of a user changed (watchlist online/offline). */
  usersChanged(state: AppState, userId: string): void;
  /** Which of these users are online anywhere. */
  online(state: AppState, userIds: string[]): Promise<string[]>;
}

/**
 * Transitions reported once per cluster, by the node whose Redis write made them (or the node that
 * reaped a dead one): webhooks listen here (notify/webhooks/batcher.ts `cluster` feed).
 */
export type ClusterObserver = Pick<
  HubObserver,
  'channelOccupied' | 'channelVacated' | 'memberAdded' | 'memberRemoved' | 'subscriptionCount'
>;

/** What the cluster's presence and count keepers share from the broker that owns them. */
export interface ClusterContext {
  hub: Hub;
  observer: ClusterObserver;
  scripts: Scripts;
  prefix: string;
  node: string;
  /** Scripts may run and markers will arrive (Redis up, node registered). */
  online(): boolean;
  /** Redis says this node is not registered (it was reaped): re-register everything. */
  resync(): void;
}
