// Joining and leaving channels: who may join each kind, presence bookkeeping, cache replay,
// subscription counts.
import { channelNameError, channelRules, USER_CHANNEL_PREFIX } from '../protocol/channels.ts';
import { subscriptionError, warn } from '../protocol/errors.ts';
import { encodeSpecEvent } from '../protocol/messages.ts';
import { parseSince } from '../protocol/positions.ts';
import { verifyChannelAuth } from '../protocol/signatures.ts';
import type { Recovery } from '../cluster/adapter.ts';
import type { AppState } from './app-state.ts';
import type { Channel } from './channel.ts';
import { type Connection, PLAIN_SUBSCRIPTION } from './connection.ts';
import type { Hub } from './hub.ts';

const COUNT_INTERVAL_MS = 1000;
const MAX_USER_ID = 128;

interface PresenceJoin {
  userId: string;
  info: unknown;
  channelData: Record<string, unknown>;
}

export class Subscriptions {
  /** Channels whose subscription_count changed since it was last sent. */
  private readonly dirtyCounts = new Map<Channel, AppState>();

  constructor(private readonly hub: Hub) {}

  subscribe(conn: Connection, data: Record<string, unknown>): Promise<void> | void {
    const name = data.channel;
    const nameError = channelNameError(name);
    if (nameError) throw typeof name === 'string' ? subscriptionError(name, 4009, nameError) : warn(null, nameError);
    const channel = name as string;
    const cap = conn.app.options.maxChannelsPerConnection;
    if (cap > 0 && conn.channels.size >= cap && !conn.channels.has(channel))
      throw subscriptionError(channel, 4100, `Too many channels on this connection (at most ${cap})`);
    const state = this.hub.state(conn.app);
    const app = conn.app;
    const rules = channelRules(channel);
    if (conn.channels.has(channel)) {
      // Already joined (a client retrying): confirm again without repeating member events.
      const ch = state.ensureChannel(channel);
      conn.write(
        encodeSpecEvent(
          'pusher_internal:subscription_succeeded',
          ch.presence ? this.presenceData(state, ch, conn) : {},
          channel,
        ),
      );
      return;
    }
    let presence: PresenceJoin | undefined;
    switch (rules.kind) {
      case 'user':
        if (!conn.user || channel !== USER_CHANNEL_PREFIX + conn.user.id) {
          throw subscriptionError(
            channel,
            4009,
            'Only the signed-in user may subscribe to its #server-to-user- channel',
          );
        }
        break;
      case 'private':
      case 'private-encrypted':
      case 'peer':
        if (!verifyChannelAuth(data.auth, app.key, app.secret, conn.id, channel)) throw badAuth(channel);
        break;
      case 'presence':
        presence = this.checkPresence(conn, state, channel, data);
        break;
      case 'personal':
        if (!verifyChannelAuth(data.auth, app.key, app.secret, conn.id, channel)) throw badAuth(channel);
        if (!this.hub.extension?.subscribePersonal) {
          throw subscriptionError(channel, 4009, 'Personal channels need the persistence store');
        }
        return this.hub.extension.subscribePersonal(state, conn, channel);
    }
    // The channel's position, and what the client missed when it names its last one.
    const recovery = this.hub.cluster.recover(app.id, channel, parseSince(data.recover));
    if (recovery instanceof Promise) return recovery.then((r) => this.enter(state, conn, channel, presence, r));
    return this.enter(state, conn, channel, presence, recovery);
  }

  /** Joins, replays what the client missed (before any newer event), and confirms. */
  private enter(
    state: AppState,
    conn: Connection,
    channel: string,
    presence: PresenceJoin | undefined,
    recovery: Recovery,
  ): Promise<void> | void {
    if (conn.closed) return; // gone while the cluster answered
    const ch = this.join(state, conn, channel, presence?.userId);
    for (const frame of recovery.frames) conn.write(frame);

    const position = positionFields(recovery);
    // A member is confirmed once the cluster has it (or refused: channel full).
    const joined = presence ? this.addMember(state, conn, ch, presence) : undefined;
    // Stored history for subscription_succeeded, when the app keeps it: a store read.
    const history = this.hub.extension?.subscriptionData?.(state, conn, ch);
    if (!history && !joined) return this.confirm(state, conn, ch, position);
    const admitted = joined?.catch((err) => {
      this.leave(state, conn, channel);
      throw err;
    });
    return Promise.all([admitted, history]).then(([, fields]) =>
      this.confirm(state, conn, ch, fields && position ? { ...fields, ...position } : (fields ?? position)),
    );
  }

  /**
   * Adds the socket to the channel (no reply); used by subscribe and by forced joins (personal,
   * peer), which name the channel that joined it (`via`).
   */
  join(state: AppState, conn: Connection, channel: string, userId?: string, via?: string): Channel {
    const ch = state.ensureChannel(channel);
    const occupied = ch.subscribers.size === 0;
    ch.subscribers.add(conn);
    conn.channels.set(channel, userId === undefined && via === undefined ? PLAIN_SUBSCRIPTION : { userId, via });
    if (occupied) this.hub.observer.channelOccupied?.(state.app.id, channel);
    this.hub.observer.subscribed?.(state.app.id, channel, ch.rules.kind, conn.id);
    // Counts (and the once-per-cluster occupied/vacated webhooks) are the cluster's.
    this.hub.cluster.subscribersChanged(state.app.id, channel, ch.subscribers.size, true);
    return ch;
  }

  private confirm(state: AppState, conn: Connection, ch: Channel, extra?: Record<string, unknown>): void {
    if (conn.closed || !conn.channels.has(ch.name)) return; // left while we were reading the store
    const data = ch.presence ? this.presenceData(state, ch, conn) : {};
    conn.write(
      encodeSpecEvent('pusher_internal:subscription_succeeded', extra ? { ...data, ...extra } : data, ch.name),
    );
    // A recovered resume has the cached event already, from before or in its replay: not again.
    if (ch.rules.cache && extra?.recovered !== true) {
      const cached = state.cached(ch.name, Date.now());
      if (cached) conn.write(cached.frame);
      else {
        conn.write(`{"event":"pusher:cache_miss","channel":${JSON.stringify(ch.name)}}`);
        this.hub.observer.cacheMiss?.(state.app.id, ch.name);
      }
    }
  }

  private checkPresence(
    conn: Connection,
    state: AppState,
    channel: string,
    data: Record<string, unknown>,
  ): PresenceJoin {
    const app = conn.app;
    let raw = data.channel_data;
    if (raw !== undefined && typeof raw !== 'string') {
      try {
        raw = JSON.stringify(raw);
      } catch {
        throw subscriptionError(channel, 4009, 'channel_data is nested too deeply'); // RangeError: not a server fault
      }
    }
    let parsed: Record<string, unknown>;
    if (raw === undefined) {
      // Legal when signed in: the member is the signed-in user (pusher-js does this).
      if (!conn.user)
        throw subscriptionError(channel, 4009, 'Presence channels need channel_data (or a signed-in user)');
      if (!verifyChannelAuth(data.auth, app.key, app.secret, conn.id, channel)) throw badAuth(channel);
      parsed = { user_id: conn.user.id, user_info: conn.user.info };
    } else {
      if (!verifyChannelAuth(data.auth, app.key, app.secret, conn.id, channel, raw as string)) throw badAuth(channel);
      try {
        parsed = JSON.parse(raw as string);
      } catch {
        throw subscriptionError(channel, 4009, 'channel_data is not valid JSON');
      }
      if (!parsed || typeof parsed !== 'object')
        throw subscriptionError(channel, 4009, 'channel_data must be a JSON object');
    }
    const id = parsed.user_id;
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0) {
      throw subscriptionError(channel, 4009, 'channel_data needs a user_id (string or number)');
    }
    const userId = String(id);
    if (userId.length > MAX_USER_ID)
      throw subscriptionError(channel, 4009, `user_id longer than ${MAX_USER_ID} characters`);
    const infoBytes = parsed.user_info === undefined ? 0 : Buffer.byteLength(JSON.stringify(parsed.user_info));
    if (infoBytes > app.options.maxPresenceUserInfoBytes) {
      throw subscriptionError(
        channel,
        4301,
        `user_info is ${infoBytes} bytes; the limit is ${app.options.maxPresenceUserInfoBytes}`,
      );
    }
    const ch = state.channel(channel);
    if (ch && !ch.members.has(userId) && ch.members.size >= app.options.maxPresenceMembers) {
      throw subscriptionError(channel, 4100, `Presence channel is full (${app.options.maxPresenceMembers} members)`);
    }
    return { userId, info: parsed.user_info, channelData: parsed };
  }

  /** Node-local bookkeeping; the cluster decides whether the user is new and sends member_added. */
  private addMember(state: AppState, conn: Connection, ch: Channel, p: PresenceJoin): Promise<void> | void {
    let member = ch.members.get(p.userId);
    const first = !member;
    if (!member) {
      member = { info: p.info ?? {}, connections: new Set(), peer: false };
      ch.members.set(p.userId, member);
      this.hub.observer.memberAdded?.(state.app.id, ch.name, p.userId);
    }
    if (p.channelData.peer === true) member.peer = true;
    member.connections.add(conn);
    const joined = this.hub.cluster.memberJoined({
      appId: state.app.id,
      channel: ch.name,
      userId: p.userId,
      socketId: conn.id,
      connections: member.connections.size,
      info: member.info,
      peer: member.peer,
      maxMembers: state.app.options.maxPresenceMembers,
    });
    this.hub.extension?.memberJoined?.(state, conn, ch, p.userId, p.channelData, first);
    return joined;
  }

  /** subscription_succeeded's member list, as the cluster knows it. */
  private presenceData(state: AppState, ch: Channel, conn: Connection) {
    return this.hub.cluster.members(state.app.id, ch.name, conn.id);
  }

  unsubscribe(conn: Connection, data: Record<string, unknown>): Promise<void> | void {
    const name = data.channel;
    if (typeof name !== 'string') throw warn(null, 'pusher:unsubscribe needs a channel');
    const state = this.hub.state(conn.app);
    if (channelRules(name).kind === 'personal' && this.hub.extension?.unsubscribePersonal) {
      return this.hub.extension.unsubscribePersonal(state, conn, name);
    }
    this.leave(state, conn, name); // unsubscribing a channel not joined is a no-op, as on Pusher
  }

  /** Removes the socket from a channel: member_removed on its user's last connection, vacated when empty. */
  leave(state: AppState, conn: Connection, name: string): void {
    const sub = conn.channels.get(name);
    if (!sub) return;
    conn.channels.delete(name);
    const ch = state.channel(name);
    if (!ch) return;
    ch.subscribers.delete(conn);
    this.hub.observer.unsubscribed?.(state.app.id, name, ch.rules.kind, conn.id);
    if (ch.presence && sub.userId !== undefined) {
      const member = ch.members.get(sub.userId);
      if (member) {
        member.connections.delete(conn);
        const last = member.connections.size === 0;
        if (last) {
          ch.members.delete(sub.userId);
          this.hub.observer.memberRemoved?.(state.app.id, name, sub.userId);
        }
        // member_removed is the cluster's to send: it waits for the user's last connection anywhere.
        const connections = member.connections.size;
        this.hub.cluster.memberLeft({
          appId: state.app.id,
          channel: name,
          userId: sub.userId,
          socketId: conn.id,
          connections,
        });
        this.hub.extension?.memberLeft?.(state, conn, ch, sub.userId, last);
      }
    }
    if (state.dropIfEmpty(ch)) {
      this.dirtyCounts.delete(ch);
      this.hub.observer.channelVacated?.(state.app.id, name);
    }
    this.hub.cluster.subscribersChanged(state.app.id, name, ch.subscribers.size, false);
  }

  /** Marks a channel's subscription_count for sending (the cluster calls it when the total moves). */
  countChanged(state: AppState, ch: Channel): void {
    if (!state.app.options.subscriptionCount || ch.presence) return;
    this.dirtyCounts.set(ch, state);
    if (this.dirtyCounts.size === 1) setImmediate(() => this.flushCounts(Date.now()));
  }

  /** Sends subscription_count to channels whose count changed, at most once a second each. */
  flushCounts(now: number): void {
    for (const [ch, state] of this.dirtyCounts) {
      if (now - ch.countSentAt < COUNT_INTERVAL_MS) continue; // the sweep sends it later
      this.dirtyCounts.delete(ch);
      const count = this.hub.cluster.subscriptionCount(state.app.id, ch.name);
      if (count === ch.countSent) continue;
      ch.countSentAt = now;
      ch.countSent = count;
      const frame = Buffer.from(
        encodeSpecEvent('pusher_internal:subscription_count', { subscription_count: count }, ch.name),
      );
      for (const conn of ch.subscribers) conn.write(frame);
      this.hub.observer.subscriptionCount?.(state.app.id, ch.name, count);
    }
  }

  stop(): void {
    this.dirtyCounts.clear();
  }
}

/** subscription_succeeded's continuity fields: the current position and, on a resume, the outcome. */
function positionFields(r: Recovery): Record<string, unknown> | undefined {
  if (!r.position) return r.recovered === undefined ? undefined : { recovered: r.recovered };
  const { epoch, offset } = r.position;
  return r.recovered === undefined ? { epoch, offset } : { recovered: r.recovered, epoch, offset };
}

function badAuth(channel: string) {
  return subscriptionError(
    channel,
    null,
    `Invalid signature: auth does not match this socket and channel (${channel})`,
  );
}
