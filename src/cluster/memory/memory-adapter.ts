// One node alone: the cluster is this process. Every decision the Redis adapter takes across
// nodes (first and last member, occupied and vacated, who is online) is taken here from this
// node's own counts, and published frames go straight to the local subscribers.
import type { Since } from '../../protocol/positions.ts';
import { withPosition } from '../../protocol/positions.ts';
import { USER_CHANNEL_PREFIX } from '../../protocol/channels.ts';
import { channelKey, splitChannelKey } from '../channel-key.ts';
import { CountReports } from '../count-reports.ts';
import { Streams } from '../streams.ts';
import type {
  AdapterContext,
  ChannelQueries,
  ClusterAdapter,
  ClusterEvents,
  ClusterObserver,
  LocalView,
  MemberChange,
  PresenceData,
  Recovery,
} from '../adapter.ts';

const NOTHING: Recovery = Object.freeze({ frames: [] });
const SWEEP_MS = 1000;

export class MemoryAdapter implements ClusterAdapter {
  private readonly events: ClusterEvents;
  private readonly local: LocalView;
  private readonly observer: ClusterObserver;
  private readonly reports: CountReports;
  /** Each channel's recent events, for clients that come back (docs/protocol.md). */
  private readonly streams: Streams;
  private sweepTimer?: NodeJS.Timeout;

  constructor(ctx: AdapterContext) {
    this.events = ctx.events;
    this.local = ctx.local;
    this.observer = ctx.observer;
    this.reports = new CountReports(ctx.observer);
    this.streams = new Streams(ctx.maxStreamBytes);
  }

  async start(): Promise<void> {
    const idle = (key: string) => this.local.subscribers(...splitChannelKey(key)) === 0;
    this.sweepTimer = setInterval(() => this.streams.sweep(Date.now(), idle), SWEEP_MS);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.reports.clear();
  }

  /**
   * Gives the event the channel's next offset, keeps it, and delivers it here. A cache channel's
   * event is remembered with its position, as every other node of a cluster would.
   */
  publish(appId: string, channel: string, frame: Buffer, exceptSocketId?: string, cacheTtlMs?: number): void {
    const limits = this.local.streamLimits(appId);
    if (limits && !channel.startsWith(USER_CHANNEL_PREFIX)) {
      const now = Date.now();
      const s = this.streams.open(channelKey(appId, channel), now);
      const offset = s.offset + 1;
      frame = withPosition(frame, s.epoch, offset);
      this.streams.keep(s, offset, frame, exceptSocketId, now, limits);
      if (cacheTtlMs) this.events.cacheEvent(appId, channel, frame, cacheTtlMs);
    }
    this.events.deliver(appId, channel, frame, exceptSocketId);
  }

  recover(appId: string, channel: string, since: Since | undefined): Recovery {
    if (!this.local.streamLimits(appId) || channel.startsWith(USER_CHANNEL_PREFIX))
      return since ? { frames: [], recovered: false } : NOTHING;
    const now = Date.now();
    const s = this.streams.open(channelKey(appId, channel), now);
    const position = { epoch: s.epoch, offset: s.offset };
    if (!since) return { frames: [], position };
    const frames = this.streams.read(s, since, now);
    return frames ? { frames, position, recovered: true } : { frames: [], position, recovered: false };
  }

  terminateUser(appId: string, userId: string): void {
    this.events.terminateUser(appId, userId);
  }

  subscribersChanged(appId: string, channel: string, count: number, joined: boolean): void {
    if (joined && count === 1) this.observer.channelOccupied?.(appId, channel);
    if (count === 0) {
      this.observer.channelVacated?.(appId, channel);
      return;
    }
    if (!this.local.countsWanted(appId, channel)) return;
    this.events.countChanged(appId, channel);
    this.reports.report(appId, channel, count);
  }

  subscriptionCount(appId: string, channel: string): number {
    return this.local.subscribers(appId, channel);
  }

  memberJoined(m: MemberChange): void {
    if (m.connections !== 1) return;
    this.events.memberChanged(m.appId, m.channel, m.userId, true, m.info ?? {}, m.peer);
    this.observer.memberAdded?.(m.appId, m.channel, m.userId);
  }

  memberLeft(m: MemberChange): void {
    if (m.connections !== 0) return;
    this.events.memberChanged(m.appId, m.channel, m.userId, false, undefined);
    this.observer.memberRemoved?.(m.appId, m.channel, m.userId);
  }

  members(appId: string, channel: string): PresenceData {
    return this.local.presence(appId, channel);
  }

  userChanged(appId: string, userId: string, online: boolean): void {
    this.events.watchlist(appId, userId, online);
  }

  async online(appId: string, userIds: string[]): Promise<string[]> {
    return userIds.filter((id) => this.local.userConnections(appId, id) > 0);
  }

  queries(local: ChannelQueries): ChannelQueries {
    return local;
  }
}
