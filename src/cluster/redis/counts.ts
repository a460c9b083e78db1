// Cluster-wide subscriber counts per channel and signed-in connections per user, kept in Redis.
// A node writes its own absolute counts (coalesced per tick) and Lua returns the totals before and
// after; the node whose write moved a total from/to zero reports occupied/vacated (once in the
// cluster); the scripts announce subscription_count on the channel's topic and online/offline on
// the control bus. Each write is also recorded in the node's index (what the reaper undoes).
import { channelRules } from '../../protocol/channels.ts';
import { channelKey } from '../channel-key.ts';
import { CountReports } from '../count-reports.ts';
import { type ClusterContext, recordInIndex } from './context.ts';
import { encodeApp } from './bus.ts';

export type CountKind = 's' | 'u';

/** A total that a write (or a reap) moved. For presence, name is channel\0user. */
export interface Change {
  kind: CountKind | 'p';
  appId: string;
  name: string;
  after: number;
  before: number;
}

const SLICE = 250;

export class ClusterCounts {
  private dirty = new Map<string, [CountKind, string, string]>();
  private scheduled = false;
  /** Cluster-wide subscriber counts heard on channels' topics, for channels with local subscribers. */
  private readonly totals = new Map<string, number>();
  /** subscription_count webhooks from this node's writes. */
  private readonly reports: CountReports;

  constructor(private readonly ctx: ClusterContext) {
    this.reports = new CountReports(ctx.observer);
  }

  mark(kind: CountKind, appId: string, name: string): void {
    this.dirty.set(`${kind}\0${appId}\0${name}`, [kind, appId, name]);
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn of the event loop's I/O: a burst of subscribes read in one poll writes each
    // channel's count once, and the write still leaves before this node reads anything else.
    setImmediate(() => {
      this.scheduled = false;
      const batch = [...this.dirty.values()];
      this.dirty.clear();
      if (this.ctx.online()) void this.write(batch);
      // offline: the resync after reconnecting writes every count anyway
    });
  }

  /** This node's own count right now (what Redis should hold for it). */
  local(kind: CountKind, appId: string, name: string): number {
    const { local } = this.ctx;
    return kind === 's' ? local.subscribers(appId, name) : local.userConnections(appId, name);
  }

  /** Writes absolute counts (read at send time, so the latest write always wins). */
  async write(batch: [CountKind, string, string][]): Promise<void> {
    for (let i = 0; i < batch.length; i += SLICE) {
      try {
        const slice = batch.slice(i, i + SLICE);
        const out = await Promise.all(slice.map(([kind, appId, name]) => this.writeOne(kind, appId, name)));
        for (const change of out) this.changed(change);
      } catch {
        return; // Redis dropped mid-way: the resync covers it
      }
    }
  }

  /** Writes one count in a node's name (this node's count, or zero for a dead node). */
  async writeOne(kind: CountKind, appId: string, name: string, node = this.ctx.node, value?: number): Promise<Change> {
    const { names, scripts, link } = this.ctx;
    const count = value ?? this.local(kind, appId, name);
    if (node === this.ctx.node) recordInIndex(this.ctx, kind, appId, name, count);
    if (kind === 'u') {
      const keys: [string, string] = [names.appKey(appId, 'u'), names.appKey(appId, 'un')];
      const [after, before] = await scripts.users(keys, node, encodeApp(appId), name, count, names.bus);
      return { kind, appId, name, after, before };
    }
    // A dead node's counts are announced whatever the apps' options: nodes without them ignore it.
    const announce =
      node === this.ctx.node ? this.ctx.local.countsWanted(appId, name) : channelRules(name).kind !== 'presence';
    const key = names.channelKey(appId, name, 'cn');
    const args = [node, encodeApp(appId), name, count, announce ? '1' : '0', names.topic(appId, name), link.pub];
    const [after, before] = await scripts.subscribers(key, ...args);
    if (before === 0 && after > 0) await link.cmd.sadd(names.appKey(appId, 'chans'), name);
    if (before > 0 && after === 0) await this.unlist(appId, name);
    return { kind, appId, name, after, before };
  }

  /** Drops a vacated channel from the app's list, unless another node occupied it meanwhile. */
  private async unlist(appId: string, channel: string): Promise<void> {
    const { names, link } = this.ctx;
    await link.cmd.srem(names.appKey(appId, 'chans'), channel);
    const total = await link.cmd.hget(names.channelKey(appId, channel, 'cn'), '*');
    if (Number(total ?? 0) > 0) await link.cmd.sadd(names.appKey(appId, 'chans'), channel);
  }

  /** Acts on a total that moved: webhooks for occupied/vacated, removed members, counts. */
  changed(c: Change): void {
    const { observer } = this.ctx;
    const { appId, name, after, before } = c;
    if (after === before) return;
    if (c.kind === 'p') {
      const cut = name.indexOf('\0');
      if (after === 0 && before > 0) observer.memberRemoved?.(appId, name.slice(0, cut), name.slice(cut + 1));
    } else if (c.kind === 's') {
      if (before === 0 && after > 0) observer.channelOccupied?.(appId, name);
      if (before > 0 && after === 0) observer.channelVacated?.(appId, name);
      // (the script announced 'c' on the channel's topic itself)
      if (this.ctx.local.countsWanted(appId, name)) this.reports.report(appId, name, after);
    }
  }

  /** A subscription_count announcement from the channel's topic. */
  heard(appId: string, channel: string, count: number): void {
    if (this.ctx.local.subscribers(appId, channel) === 0) return;
    this.totals.set(channelKey(appId, channel), count);
    this.ctx.events.countChanged(appId, channel);
  }

  total(appId: string, channel: string): number | undefined {
    return this.totals.get(channelKey(appId, channel));
  }

  dropped(appId: string, channel: string): void {
    this.totals.delete(channelKey(appId, channel));
  }
}
