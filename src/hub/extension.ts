// The seam through which Pushi's own capabilities (persistence, personal and peer channels,
// history) extend the Pusher protocol without the core knowing them.
import type { AppEventFields, InboundMessage } from '../protocol/messages.ts';
import type { HubObserver } from './observer.ts';
import type { AppState } from './app-state.ts';
import type { Channel } from './channel.ts';
import type { Connection } from './connection.ts';

export interface HubExtension {
  /**
   * Handles a non-Pusher event (e.g. pusher:latest): true when handled synchronously, a promise when
   * async, undefined when unknown.
   */
  handle?(conn: Connection, msg: InboundMessage): Promise<void> | true | undefined;
  /** Joins a personal-<user_id> channel (auth already checked) and replies. */
  subscribePersonal?(state: AppState, conn: Connection, channel: string): Promise<void>;
  unsubscribePersonal?(state: AppState, conn: Connection, channel: string): void;
  /**
   * Stores a client event when the app or the message asks; resolves with the frame to publish
   * (with mid/timestamp). `e.data` is the data as text, `fields` the event as it goes in a frame.
   */
  persistClientEvent?(
    conn: Connection,
    e: ClientEvent,
    fields: AppEventFields,
    persist: boolean | undefined,
  ): Promise<Buffer> | undefined;
  /** Extra fields for subscription_succeeded data (e.g. stored events); undefined when there are none to read. */
  subscriptionData?(
    state: AppState,
    conn: Connection,
    channel: Channel,
  ): Promise<Record<string, unknown> | undefined> | undefined;
  /** A presence member joined (first connection of the user on this channel, or a further one). */
  memberJoined?(
    state: AppState,
    conn: Connection,
    channel: Channel,
    userId: string,
    channelData: Record<string, unknown>,
    first: boolean,
  ): void;
  /** A presence connection left; `last` when it was the user's last connection on the channel. */
  memberLeft?(state: AppState, conn: Connection, channel: Channel, userId: string, last: boolean): void;
  /**
   * The cluster announced a member of a presence channel this node serves coming (first connection
   * anywhere) or going (last connection anywhere); this node's own members too. `peer`: it joined
   * with `"peer": true`.
   */
  memberAnnounced?(state: AppState, channel: Channel, userId: string, added: boolean, peer: boolean): void;
}

/** A client event as the hub reports it (observer.ts). */
export type ClientEvent = Parameters<NonNullable<HubObserver['clientEvent']>>[1];
