// Channel queries answered for the whole cluster from the counts kept in Redis (counts.ts,
// redis-presence.ts). Chosen over scatter-gather (ask every node, wait for all or a timeout):
// the counts must be in Redis anyway for cluster-wide occupied/vacated and first/last member
// decisions, so a query is one or two reads, never waits on a slow node, and a dead node's share
// is gone once it is reaped. While Redis is unreachable this node answers for itself.
import type { ChannelQueries, ChannelSummary } from '../adapter.ts';
import { channelRules } from '../../protocol/channels.ts';
import type { RedisAdapter } from './redis-adapter.ts';

export class ClusterQueries implements ChannelQueries {
  constructor(
    private readonly broker: RedisAdapter,
    private readonly local: ChannelQueries,
  ) {}

  async channels(appId: string, prefix = ''): Promise<ChannelSummary[]> {
    if (!this.broker.connected()) return this.local.channels(appId, prefix);
    const { cmd } = this.broker.link;
    const names = this.broker.names;
    try {
      const all = await cmd.hgetall(names.totals('s', appId));
      const out: ChannelSummary[] = [];
      for (const [name, count] of Object.entries(all)) {
        if (name.startsWith(prefix) && Number(count) > 0) out.push({ name, subscriptionCount: Number(count) });
      }
      const presence = out.filter((c) => channelRules(c.name).kind === 'presence');
      const users = await Promise.all(presence.map((c) => cmd.hlen(names.presenceCounts(appId, c.name))));
      presence.forEach((c, i) => (c.userCount = users[i]));
      return out;
    } catch {
      return this.local.channels(appId, prefix);
    }
  }

  async channel(appId: string, name: string): Promise<ChannelSummary | undefined> {
    if (!this.broker.connected()) return this.local.channel(appId, name);
    const { cmd } = this.broker.link;
    const names = this.broker.names;
    try {
      const presence = channelRules(name).kind === 'presence';
      const [count, users] = await Promise.all([
        cmd.hget(names.totals('s', appId), name),
        presence ? cmd.hlen(names.presenceCounts(appId, name)) : Promise.resolve(undefined),
      ]);
      const n = Number(count ?? 0);
      return n > 0 ? { name, subscriptionCount: n, userCount: users } : undefined;
    } catch {
      return this.local.channel(appId, name);
    }
  }

  async users(appId: string, name: string): Promise<string[]> {
    if (!this.broker.connected()) return this.local.users(appId, name);
    try {
      return await this.broker.link.cmd.hkeys(this.broker.names.presenceCounts(appId, name));
    } catch {
      return this.local.users(appId, name);
    }
  }
}
