// Pushi's own capabilities on top of the Pusher protocol: stored events (with mid and timestamp on
// the live message), history on subscribe and on request, personal channels. Plugged into the hub
// through its extension seam and into the HTTP trigger route as its publisher.
import type { Logger } from 'pino';
import type { App } from '../apps/app.ts';
import type { AppState } from '../hub/app-state.ts';
import type { Channel } from '../hub/channel.ts';
import type { Connection } from '../hub/connection.ts';
import type { ClientEvent, HubExtension } from '../hub/extension.ts';
import type { Hub } from '../hub/hub.ts';
import { publishTrigger } from '../hub/publisher.ts';
import type { ParsedTrigger } from '../api/routes/events.ts';
import { channelNameError, channelRules, parsePeerChannel } from '../protocol/channels.ts';
import { ErrorCode, type PusherError, subscriptionError, warn } from '../protocol/errors.ts';
import { newMessageId } from '../protocol/ids.ts';
import {
  type AppEventFields,
  encodeAppEvent,
  encodeSpecEvent,
  type InboundMessage,
  objectData,
} from '../protocol/messages.ts';
import type { GroupCommitter } from '../store/group-commit.ts';
import type { EventLog, StoredEvent } from '../store/event-log.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import { type HistoryPage, parsePage, toWire, UnknownSinceError } from './history.ts';
import { Peers } from './peers.ts';

const PERSONAL = 'personal-';

/**
 * The store is down (it logs the details itself): the socket gets a plain, non-fatal error instead
 * of "Internal server error", and no server paths or hosts. Other errors pass through unchanged.
 */
function storeDown(err: unknown, what: string, channel?: string): PusherError | unknown {
  if (!(err instanceof StoreUnavailableError)) return err;
  const message = `Storage unavailable: ${what}; try again later`;
  return channel === undefined
    ? warn(ErrorCode.SERVER_ERROR, message)
    : subscriptionError(channel, ErrorCode.SERVER_ERROR, message);
}

export class Persistence implements HubExtension {
  private readonly peers: Peers;

  constructor(
    private readonly hub: Hub,
    private readonly log: EventLog,
    private readonly committer: GroupCommitter,
    private readonly logger: Logger,
  ) {
    this.peers = new Peers(hub);
  }

  /** The trigger route's publisher: store first when persisting, then fan out with mid/timestamp. */
  publish = (app: App, t: ParsedTrigger): Promise<void> | void => {
    if (!(t.persist ?? app.options.persist)) return publishTrigger(this.hub, app, t);
    return this.publishStored(app, t);
  };

  private async publishStored(app: App, t: ParsedTrigger): Promise<void> {
    const timestamp = Date.now();
    const stored = await Promise.all(
      t.channels.map((channel) =>
        this.committer.append({
          mid: newMessageId(timestamp),
          appId: app.id,
          channel,
          event: t.event,
          data: t.data,
          socketId: t.socketId ?? null,
          timestamp,
        }),
      ),
    );
    publishTrigger(this.hub, app, {
      ...t,
      stored: new Map(stored.map((e) => [e.channel, { mid: e.mid, timestamp: e.timestamp }])),
    });
  }

  /** Client events are stored like triggers when the app persists by default or the message asks. */
  persistClientEvent(conn: Connection, e: ClientEvent, fields: AppEventFields, persist: boolean | undefined) {
    if (!(persist ?? conn.app.options.persist)) return undefined;
    const { channel, event, userId } = e;
    const timestamp = Date.now();
    return this.committer
      .append({
        mid: newMessageId(timestamp),
        appId: conn.app.id,
        channel,
        event,
        data: e.data,
        socketId: conn.id,
        userId: userId ?? null,
        timestamp,
      })
      .then(
        (s) => Buffer.from(encodeAppEvent({ ...fields, mid: s.mid, timestamp: s.timestamp })),
        (err) => {
          throw storeDown(err, `${event} was not stored, so not sent`);
        },
      );
  }

  handle(conn: Connection, msg: InboundMessage): Promise<void> | undefined {
    if (msg.event !== 'pusher:latest') return undefined;
    return this.latest(conn, objectData(msg));
  }

  /**
   * pusher:latest {channel, skip, count} → pusher_internal:latest {channel, events} (newest first);
   * with `since` (a mid) instead of skip, the events stored after it, oldest first.
   */
  private async latest(conn: Connection, data: Record<string, unknown>): Promise<void> {
    const channel = data.channel;
    const nameError = channelNameError(channel);
    if (nameError) throw warn(null, `pusher:latest: ${nameError}`);
    const name = channel as string;
    if (!this.mayRead(conn, name)) throw warn(null, `pusher:latest: not subscribed to ${name}`);
    const page = parsePage(data.skip, data.count, data.since);
    if (typeof page === 'string') throw warn(null, `pusher:latest: ${page}`);
    const events = await this.history(conn.app.id, name, page).catch((err) => {
      if (err instanceof UnknownSinceError) throw warn(null, `pusher:latest: ${err.message}`);
      throw storeDown(err, `pusher:latest cannot read the history of ${name}`);
    });
    conn.write(encodeSpecEvent('pusher_internal:latest', historyReply(name, page, events), name));
  }

  /** A channel's history; a personal channel's history is its user's events. */
  async history(appId: string, channel: string, page: HistoryPage): Promise<StoredEvent[]> {
    const user = channel.startsWith(PERSONAL) ? channel.slice(PERSONAL.length) : undefined;
    if (page.since === undefined) {
      return user ? this.log.userEvents(appId, user, page) : this.log.channelEvents(appId, channel, page);
    }
    const after = await this.log.seqOf(appId, page.since);
    if (after === undefined)
      throw new UnknownSinceError(`since ${page.since} is not a stored event (unknown or removed)`);
    return user
      ? this.log.userEventsAfter(appId, user, after, page.count)
      : this.log.channelEventsAfter(appId, channel, after, page.count);
  }

  /** Subscribed to it, or one of the two users of a peer channel on its presence channel. */
  private mayRead(conn: Connection, channel: string): boolean {
    if (conn.channels.has(channel)) return true;
    const peer = parsePeerChannel(channel);
    const userId = peer && conn.channels.get(peer.presence)?.userId;
    return !!userId && peer!.users.includes(userId);
  }

  subscriptionData(
    state: AppState,
    _conn: Connection,
    channel: Channel,
  ): Promise<Record<string, unknown> | undefined> | undefined {
    // Only apps that persist by default pay a store read per subscribe; the others' subscribes stay
    // synchronous (no promise, no queueing of the socket's next messages).
    const { persist, historyCount } = state.app.options;
    if (!persist || historyCount <= 0) return undefined;
    return this.latestOnSubscribe(state.app.id, channel.name, historyCount);
  }

  private async latestOnSubscribe(
    appId: string,
    channel: string,
    count: number,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const events = await this.log.channelEvents(appId, channel, { skip: 0, count });
      return { events: events.map(toWire) };
    } catch (err) {
      // Store down: the subscription still works live, just without history (no `events` field).
      if (err instanceof StoreUnavailableError) return undefined;
      throw err;
    }
  }

  /** personal-<user>: join every channel the user is subscribed to, reply with them and its last events. */
  async subscribePersonal(state: AppState, conn: Connection, channel: string): Promise<void> {
    const userId = channel.slice(PERSONAL.length);
    const app = state.app;
    const [subs, events] = await Promise.all([
      this.log.listSubscriptions(app.id, { userId }),
      this.log.userEvents(app.id, userId, { skip: 0, count: app.options.historyCount }),
    ]).catch((err) => {
      throw storeDown(err, `${channel} needs the user's stored subscriptions`, channel);
    });
    if (conn.closed) return;
    this.hub.subscriptions.join(state, conn, channel);
    const alias: string[] = [];
    for (const s of subs) {
      alias.push(s.channel);
      this.joinAlias(state, conn, channel, s.channel);
    }
    conn.write(
      encodeSpecEvent('pusher_internal:subscription_succeeded', { alias, events: events.map(toWire) }, channel),
    );
  }

  unsubscribePersonal(state: AppState, conn: Connection, channel: string): void {
    for (const [name, sub] of [...conn.channels])
      if (sub.via === channel) this.hub.subscriptions.leave(state, conn, name);
    this.hub.subscriptions.leave(state, conn, channel);
  }

  private joinAlias(state: AppState, conn: Connection, personal: string, alias: string): void {
    if (conn.channels.has(alias) || channelNameError(alias) || channelRules(alias).kind === 'personal') return;
    this.hub.subscriptions.join(state, conn, alias, undefined, personal);
  }

  /** A subscription was added over the API: sockets on the user's personal channel join it now. */
  subscriptionAdded(app: App, userId: string, channel: string): void {
    const state = this.hub.states.get(app.id);
    const personal = PERSONAL + userId;
    const ch = state?.channel(personal);
    if (!state || !ch) return;
    const frame = encodeSpecEvent('pusher_internal:alias_added', { alias: channel }, personal);
    for (const conn of ch.subscribers) {
      this.joinAlias(state, conn, personal, channel);
      conn.write(frame);
    }
  }

  subscriptionRemoved(app: App, userId: string, channel: string): void {
    const state = this.hub.states.get(app.id);
    const personal = PERSONAL + userId;
    const ch = state?.channel(personal);
    if (!state || !ch) return;
    const frame = encodeSpecEvent('pusher_internal:alias_removed', { alias: channel }, personal);
    for (const conn of [...ch.subscribers]) {
      if (conn.channels.get(channel)?.via === personal) this.hub.subscriptions.leave(state, conn, channel);
      conn.write(frame);
    }
  }

  memberJoined(state: AppState, conn: Connection, channel: Channel, userId: string): void {
    this.peers.joined(state, conn, channel, userId);
  }

  memberLeft(state: AppState, conn: Connection, channel: Channel): void {
    this.peers.left(state, conn, channel);
  }

  memberAnnounced(state: AppState, channel: Channel, userId: string, added: boolean, peer: boolean): void {
    this.peers.announced(state, channel, userId, added, peer);
  }

  async close(): Promise<void> {
    await this.committer.drain();
    this.logger.debug('persistence drained');
  }
}

/** pusher_internal:latest's and GET …/events' answer: the page asked for and its events. */
export function historyReply(channel: string, page: HistoryPage, events: StoredEvent[]) {
  const where = page.since === undefined ? { skip: page.skip } : { since: page.since };
  return { channel, ...where, count: page.count, events: events.map(toWire) };
}
