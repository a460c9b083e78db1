// Channel queries answered for the whole cluster from the counts kept in Redis (counts.ts,
// redis-presence.ts). Chosen over scatter-gather (ask every node, wait for all or a timeout):
// the counts must be in Redis anyway for cluster-wide occupied/vacated and first/last member
// decisions, so a query is a few reads, never waits on a slow node, and a dead node's share
// is gone once it is reaped. While Redis is unreachable this node answers for itself.
import type { ChannelQueries, ChannelSummary } from '../adapter.ts';
import { channelRules } from '../../protocol/channels.ts';
import type { Names } from './bus.ts';
import type { RedisLink } from './redis-link.ts';

/** What the queries read through: the adapter's link and names, and whether it is connected. */
export interface QuerySource {
  readonly link: RedisLink;
  readonly names: Names;
  connected(): boolean;
}

export class ClusterQueries implements ChannelQueries {
  constructor(
    private readonly broker: QuerySource,
    private readonly local: ChannelQueries,
  ) {}

  async channels(appId: string, prefix = ''): Promise<ChannelSummary[]> {
    if (!this.broker.connected()) return this.local.channels(appId, prefix);
    try {
      // The app's list may name a channel vacated a moment ago: each one's own total decides.
      const listed = await this.broker.link.cmd.smembers(this.broker.names.appKey(appId, 'chans'));
      const found = await Promise.all(listed.filter((n) => n.startsWith(prefix)).map((n) => this.summary(appId, n)));
      return found.filter((c): c is ChannelSummary => c !== undefined);
    } catch {
      return this.local.channels(appId, prefix);
    }
  }

  async channel(appId: string, name: string): Promise<ChannelSummary | undefined> {
    if (!this.broker.connected()) return this.local.channel(appId, name);
    try {
      return await this.summary(appId, name);
    } catch {
      return this.local.channel(appId, name);
    }
  }

  async users(appId: string, name: string): Promise<string[]> {
    if (!this.broker.connected()) return this.local.users(appId, name);
    try {
      return await this.broker.link.cmd.hkeys(this.broker.names.channelKey(appId, name, 'pc'));
    } catch {
      return this.local.users(appId, name);
    }
  }

  private async summary(appId: string, name: string): Promise<ChannelSummary | undefined> {
    const { cmd } = this.broker.link;
    const names = this.broker.names;
    const presence = channelRules(name).kind === 'presence';
    const [count, users] = await Promise.all([
      cmd.hget(names.channelKey(appId, name, 'cn'), '*'),
      presence ? cmd.hlen(names.channelKey(appId, name, 'pc')) : Promise.resolve(undefined),
    ]);
    const n = Number(count ?? 0);
    return n > 0 ? { name, subscriptionCount: n, userCount: users } : undefined;
  }
}
