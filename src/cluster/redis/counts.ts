// Cluster-wide subscriber counts per channel and signed-in connections per user, kept in Redis.
// A node writes its own absolute counts (coalesced per tick) and Lua returns the totals that
// changed; the node whose write moved a total from/to zero reports occupied/vacated (once in the
// cluster); the scripts announce watchlist online/offline and subscription_count on the bus.
import { CountReports } from '../count-reports.ts';
import type { ClusterContext } from './context.ts';
import { decodeApp, encodeApp } from './bus.ts';

export type CountKind = 's' | 'u';

const BATCH = 250;

export class ClusterCounts {
  private dirty = new Map<string, [CountKind, string, string]>();
  private scheduled = false;
  /** Cluster-wide subscriber counts heard on the bus, for channels with local subscribers. */
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
    // A microtask: the write leaves before anything this tick's client could ask another node.
    queueMicrotask(() => {
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

  /** Whether subscribers want pusher_internal:subscription_count for this channel. */
  private counted(kind: CountKind, appId: string, name: string): boolean {
    return kind === 's' && this.ctx.local.countsWanted(appId, name);
  }

  /** Writes absolute counts (read at send time, so the latest write always wins). */
  async write(batch: [CountKind, string, string][]): Promise<void> {
    for (let i = 0; i < batch.length; i += BATCH) {
      const args: (string | number)[] = [this.ctx.prefix, this.ctx.node];
      for (const [kind, appId, name] of batch.slice(i, i + BATCH)) {
        args.push(
          kind,
          encodeApp(appId),
          name,
          this.local(kind, appId, name),
          this.counted(kind, appId, name) ? '1' : '0',
        );
      }
      let out: number | (string | number)[];
      try {
        out = await this.ctx.scripts.counts(...args);
      } catch {
        return; // Redis dropped mid-way: the resync covers it
      }
      if (out === -2) {
        this.ctx.resync();
        return;
      }
      if (Array.isArray(out)) this.changes(out, 0);
    }
  }

  /** Acts on (kind, A, name, after, before) groups returned by the counts or reap scripts. */
  changes(out: (string | number)[], from: number): void {
    const { observer } = this.ctx;
    for (let i = from; i + 4 < out.length; i += 5) {
      const kind = String(out[i]);
      const appId = decodeApp(String(out[i + 1]));
      const name = String(out[i + 2]);
      const after = Number(out[i + 3]);
      const before = Number(out[i + 4]);
      if (kind === 'p') {
        const cut = name.indexOf('\0');
        if (after === 0 && before > 0) observer.memberRemoved?.(appId, name.slice(0, cut), name.slice(cut + 1));
      } else if (kind === 's') {
        if (before === 0 && after > 0) observer.channelOccupied?.(appId, name);
        if (before > 0 && after === 0) observer.channelVacated?.(appId, name);
        // (the scripts announced 'c' and 'w' on the bus themselves)
        if (this.ctx.local.countsWanted(appId, name)) this.reports.report(appId, name, after);
      }
    }
  }

  /** A subscription_count announcement from the bus. */
  heard(appId: string, channel: string, count: number): void {
    if (this.ctx.local.subscribers(appId, channel) === 0) return;
    this.totals.set(`${appId}\0${channel}`, count);
    this.ctx.events.countChanged(appId, channel);
  }

  total(appId: string, channel: string): number | undefined {
    return this.totals.get(`${appId}\0${channel}`);
  }

  dropped(appId: string, channel: string): void {
    this.totals.delete(`${appId}\0${channel}`);
  }
}
