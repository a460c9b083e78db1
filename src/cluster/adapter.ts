// The seam between one node's hub and the rest of the cluster. The hub always has an adapter: the
// memory adapter (memory/) serves a single node, the Redis adapter (redis/) many. The interface
// speaks in app ids, channel names, socket ids and frames, never in hub objects; the adapter calls
// back into the hub through ClusterEvents and reads the node's own state through LocalView.
// Another engine (NATS, say) is a new folder implementing ClusterAdapter, with no edits in hub/.
// cluster/ imports nothing from hub/: the hub depends on this file, never the other way.
import type { HealthCheck } from '../api/health-check.ts';
import type { Position, Since } from '../protocol/positions.ts';

export interface PresenceData {
  presence: { ids: string[]; hash: Record<string, unknown>; count: number };
}

/** A presence connection of this node joined or left a channel. */
export interface MemberChange {
  appId: string;
  channel: string;
  userId: string;
  socketId: string;
  /** This node's connections of the user on the channel, after the change. */
  connections: number;
  /** The member's user_info (joins only). */
  info?: unknown;
  /** The member joined with `"peer": true` (joins only): it travels beside user_info, never inside it. */
  peer?: boolean;
  /** The app's presence member limit, counted across the cluster (joins only). */
  maxMembers?: number;
}

/** What a subscribe gets from the channel's stream (protocol/positions.ts). */
export interface Recovery {
  /** Missed events' frames, in order, to write before subscription_succeeded. */
  frames: Buffer[];
  /** The channel's current position, when known. */
  position?: Position;
  /** Set when a resume was asked: whether `frames` is everything the client missed. */
  recovered?: boolean;
}

/** How much of a channel's recent history an app keeps for reconnecting clients. */
export interface StreamLimits {
  windowMs: number;
  maxEvents: number;
}

export interface ClusterAdapter {
  /** Connects (the Redis adapter registers the node); resolves when clients may be admitted. */
  start(): Promise<void>;
  close(): Promise<void>;

  /**
   * Every subscriber of the channel on every node gets the frame once, in one order per channel;
   * this node's subscribers through ClusterEvents.deliver. `cacheTtlMs`: the frame is a cache
   * channel's last event, to be remembered for that long on every node.
   */
  publish(appId: string, channel: string, frame: Buffer, exceptSocketId?: string, cacheTtlMs?: number): void;
  /**
   * The channel's position for a new subscriber and, when `since` is given, the events after it.
   * Synchronous when this node can answer alone.
   */
  recover(appId: string, channel: string, since: Since | undefined): Recovery | Promise<Recovery>;
  /** Resolves when everything published so far is ordered for every node (absent: at once). */
  published?(): Promise<unknown>;
  /** Closes the user's connections on every node, this one included. */
  terminateUser(appId: string, userId: string): void;

  /** This node's subscriber count of a channel went up (`joined`) or down to `count`. */
  subscribersChanged(appId: string, channel: string, count: number, joined: boolean): void;
  /** The subscriber count of a channel across the cluster, as last known. */
  subscriptionCount(appId: string, channel: string): number;

  /**
   * A member connection joined a presence channel. A promise: subscription_succeeded waits for it
   * (rejects with a PusherError when the channel is full across the cluster).
   */
  memberJoined(change: MemberChange): Promise<void> | void;
  /** A member connection left (the hub has already removed it). */
  memberLeft(change: MemberChange): void;
  /**
   * The member list for the socket's subscription_succeeded; from then on it hears member events.
   * With `socketId` '' a plain read of the list as this node knows it.
   */
  members(appId: string, channel: string, socketId: string): PresenceData;

  /** A user signed in on this node with its first connection here (`online`), or its last left. */
  userChanged(appId: string, userId: string, online: boolean): void;
  /** Which of these users are signed in anywhere. */
  online(appId: string, userIds: string[]): Promise<string[]>;

  /** Channel queries for the HTTP API, answered for the cluster (given this node's own answers). */
  queries(local: ChannelQueries): ChannelQueries;
  health?(): HealthCheck;
  /** Traffic from the other nodes (absent for a single node). */
  stats?(): ClusterStats;
}

/** What a node received from the cluster since it started, and how many channels it listens to. */
export interface ClusterStats {
  inboundMessages: number;
  inboundBytes: number;
  topics: number;
}

/** What the adapter asks of the hub. Each call is about this node's sockets only. */
export interface ClusterEvents {
  /** Writes the frame to this node's subscribers of the channel but `exceptSocketId`. */
  deliver(appId: string, channel: string, frame: Buffer, exceptSocketId?: string): number;
  /**
   * Tells this node's subscribers of a presence channel that a member came or went, except the
   * member's own connections and the sockets in `skip` (joiners not yet given the member list).
   * `peer`: the member joined with `"peer": true` (additions only; peer channels pair on it).
   */
  memberChanged(
    appId: string,
    channel: string,
    userId: string,
    added: boolean,
    info: unknown,
    peer?: boolean,
    skip?: Set<string>,
  ): void;
  /** The channel's cluster-wide subscriber count moved: send subscription_count (throttled). */
  countChanged(appId: string, channel: string): void;
  /** Tells this node's watchers of a user that it came online or went offline. */
  watchlist(appId: string, userId: string, online: boolean): void;
  /** Closes this node's connections of a user. */
  terminateUser(appId: string, userId: string): void;
  /** Closes this node's subscribers of a channel with 4200, so they resubscribe and resume. */
  reconnectSubscribers(appId: string, channel: string): void;
  /** Another node's cache-channel event: remember it so this node answers cache queries alike. */
  cacheEvent(appId: string, channel: string, frame: Buffer, ttlMs: number): void;
}

/** This node's own state, read by adapters (counts written to Redis, resync after an outage). */
export interface LocalView {
  subscribers(appId: string, channel: string): number;
  /** Signed-in connections of a user. */
  userConnections(appId: string, userId: string): number;
  member(
    appId: string,
    channel: string,
    userId: string,
  ): { connections: number; info: unknown; peer?: boolean } | undefined;
  /** The node-local member list of a presence channel. */
  presence(appId: string, channel: string): PresenceData;
  /** The app's recent-history limits; undefined when it keeps none (no positions either). */
  streamLimits(appId: string): StreamLimits | undefined;
  /** Whether subscribers of the channel receive subscription_count (the app's option). */
  countsWanted(appId: string, channel: string): boolean;
  /** Everything this node holds, for a resync. */
  held(): { channels: [string, string][]; members: [string, string, string][]; users: [string, string][] };
}

/**
 * Transitions reported once per cluster: by the memory adapter as they happen, by the Redis
 * adapter on the node whose write made them. Webhooks listen here (notify/webhooks/batcher.ts).
 */
export interface ClusterObserver {
  channelOccupied?(appId: string, channel: string): void;
  channelVacated?(appId: string, channel: string): void;
  memberAdded?(appId: string, channel: string, userId: string): void;
  memberRemoved?(appId: string, channel: string, userId: string): void;
  subscriptionCount?(appId: string, channel: string, count: number): void;
}

/** The HTTP API's channel queries (hub/queries.ts answers them for one node). */
export interface ChannelSummary {
  name: string;
  subscriptionCount: number;
  userCount?: number;
}

export interface ChannelQueries {
  channels(appId: string, prefix?: string): Promise<ChannelSummary[]>;
  channel(appId: string, name: string): Promise<ChannelSummary | undefined>;
  users(appId: string, name: string): Promise<string[]>;
}

/** What every adapter is built from. */
export interface AdapterContext {
  events: ClusterEvents;
  local: LocalView;
  observer: ClusterObserver;
  /** Process-wide cap on the bytes of recent history kept in memory. */
  maxStreamBytes: number;
}
