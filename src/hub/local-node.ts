// This node as the cluster adapter sees it: what the adapter may ask the hub to do for this node's
// sockets (ClusterEvents) and what it may read of this node's state (LocalView), in ids and names.
import type { AppOptions } from '../apps/app.ts';
import type { ClusterEvents, LocalView, PresenceData, StreamLimits } from '../cluster/adapter.ts';
import { channelRules } from '../protocol/channels.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { CachedEvent } from './app-state.ts';
import type { Hub } from './hub.ts';

const NO_MEMBERS: PresenceData = { presence: { ids: [], hash: {}, count: 0 } };

export class LocalNode implements ClusterEvents, LocalView {
  /** Per app record (options are replaced, never mutated): no object per publish. */
  private readonly limits = new WeakMap<AppOptions, StreamLimits | null>();

  constructor(private readonly hub: Hub) {}

  // ── ClusterEvents ─────────────────────────────────────────────────────────────────────────────

  deliver(appId: string, channel: string, frame: Buffer, exceptSocketId?: string): number {
    return this.hub.deliver(appId, channel, frame, exceptSocketId);
  }

  memberChanged(
    appId: string,
    channel: string,
    userId: string,
    added: boolean,
    info: unknown,
    peer?: boolean,
    skip?: Set<string>,
  ) {
    const state = this.hub.states.get(appId);
    const ch = state?.channel(channel);
    if (!state || !ch) return;
    const frame = Buffer.from(ch.memberEvent(userId, added, info));
    for (const conn of ch.subscribers) {
      // A member never hears about itself (its own connections are told by subscription_succeeded).
      if (skip?.has(conn.id) || conn.channels.get(channel)?.userId === userId) continue;
      conn.write(frame);
    }
    this.hub.extension?.memberAnnounced?.(state, ch, userId, added, peer === true);
  }

  countChanged(appId: string, channel: string): void {
    const state = this.hub.states.get(appId);
    const ch = state?.channel(channel);
    if (state && ch) this.hub.subscriptions.countChanged(state, ch);
  }

  watchlist(appId: string, userId: string, online: boolean): void {
    const state = this.hub.states.get(appId);
    if (state) this.hub.users.notifyWatchers(state, userId, online ? 'online' : 'offline');
  }

  terminateUser(appId: string, userId: string): void {
    this.hub.users.terminate(appId, userId);
  }

  reconnectSubscribers(appId: string, channel: string): void {
    const ch = this.hub.states.get(appId)?.channel(channel);
    if (!ch) return;
    for (const conn of [...ch.subscribers]) {
      conn.closeWithError(ErrorCode.RECONNECT, 'Events were missed on this channel; reconnect and resume');
    }
  }

  cacheEvent(appId: string, channel: string, frame: Buffer, ttlMs: number): void {
    let entry: CachedEvent;
    try {
      const parsed = JSON.parse(frame.toString());
      const expiresAt = Date.now() + ttlMs;
      entry = { frame: Buffer.from(frame), event: parsed.event, data: parsed.data, expiresAt };
      if (typeof parsed.epoch === 'string' && typeof parsed.offset === 'number')
        entry.position = { epoch: parsed.epoch, offset: parsed.offset };
    } catch {
      return;
    }
    const state = this.hub.states.get(appId);
    if (state) return state.remember(channel, entry);
    this.hub.options.apps.findById(appId).then(
      (app) => app && this.hub.state(app).remember(channel, entry),
      () => undefined,
    );
  }

  // ── LocalView ─────────────────────────────────────────────────────────────────────────────────

  subscribers(appId: string, channel: string): number {
    return this.hub.states.get(appId)?.channel(channel)?.subscribers.size ?? 0;
  }

  userConnections(appId: string, userId: string): number {
    return this.hub.states.get(appId)?.users.get(userId)?.size ?? 0;
  }

  member(appId: string, channel: string, userId: string) {
    const m = this.hub.states.get(appId)?.channel(channel)?.members.get(userId);
    return m && { connections: m.connections.size, info: m.info, peer: m.peer };
  }

  presence(appId: string, channel: string): PresenceData {
    return this.hub.states.get(appId)?.channel(channel)?.presenceData() ?? NO_MEMBERS;
  }

  streamLimits(appId: string): StreamLimits | undefined {
    const options = this.hub.states.get(appId)?.app.options;
    if (!options) return undefined;
    let limits = this.limits.get(options);
    if (limits === undefined) {
      const { recoveryWindowSeconds: seconds, recoveryMaxEvents: maxEvents } = options;
      limits = seconds > 0 && maxEvents > 0 ? { windowMs: seconds * 1000, maxEvents } : null;
      this.limits.set(options, limits);
    }
    return limits ?? undefined;
  }

  countsWanted(appId: string, channel: string): boolean {
    const state = this.hub.states.get(appId);
    return !!state?.app.options.subscriptionCount && channelRules(channel).kind !== 'presence';
  }

  held() {
    const channels: [string, string][] = [];
    const members: [string, string, string][] = [];
    const users: [string, string][] = [];
    for (const state of this.hub.states.values()) {
      const appId = state.app.id;
      for (const ch of state.channels.values()) {
        channels.push([appId, ch.name]);
        for (const user of ch.members.keys()) members.push([appId, ch.name, user]);
      }
      for (const user of state.users.keys()) users.push([appId, user]);
    }
    return { channels, members, users };
  }
}
