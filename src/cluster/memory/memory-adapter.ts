// One node alone: the cluster is this process. Every decision the Redis adapter takes across
// nodes (first and last member, occupied and vacated, who is online) is taken here from this
// node's own counts, and published frames go straight to the local subscribers.
import { CountReports } from '../count-reports.ts';
import type {
  AdapterContext,
  ChannelQueries,
  ClusterAdapter,
  ClusterEvents,
  ClusterObserver,
  LocalView,
  MemberChange,
  PresenceData,
} from '../adapter.ts';

export class MemoryAdapter implements ClusterAdapter {
  private readonly events: ClusterEvents;
  private readonly local: LocalView;
  private readonly observer: ClusterObserver;
  private readonly reports: CountReports;

  constructor(ctx: AdapterContext) {
    this.events = ctx.events;
    this.local = ctx.local;
    this.observer = ctx.observer;
    this.reports = new CountReports(ctx.observer);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.reports.clear();
  }

  publish(appId: string, channel: string, frame: Buffer, exceptSocketId?: string): void {
    this.events.deliver(appId, channel, frame, exceptSocketId);
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
    this.events.memberChanged(m.appId, m.channel, m.userId, true, m.info ?? {});
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
