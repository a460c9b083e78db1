// Answers to the HTTP API's channel queries from this node's state.
// Async on purpose: the cluster adapter answers the same questions across nodes.
import type { ChannelQueries, ChannelSummary } from '../cluster/adapter.ts';
import type { Hub } from './hub.ts';

export class LocalQueries implements ChannelQueries {
  constructor(private readonly hub: Hub) {}

  async channels(appId: string, prefix = ''): Promise<ChannelSummary[]> {
    const state = this.hub.states.get(appId);
    if (!state) return [];
    const out: ChannelSummary[] = [];
    for (const ch of state.channels.values()) {
      if (!ch.name.startsWith(prefix) || ch.subscribers.size === 0) continue;
      out.push({
        name: ch.name,
        subscriptionCount: ch.subscribers.size,
        userCount: ch.presence ? ch.members.size : undefined,
      });
    }
    return out;
  }

  async channel(appId: string, name: string): Promise<ChannelSummary | undefined> {
    const ch = this.hub.states.get(appId)?.channel(name);
    if (!ch || ch.subscribers.size === 0) return undefined;
    return { name, subscriptionCount: ch.subscribers.size, userCount: ch.presence ? ch.members.size : undefined };
  }

  async users(appId: string, name: string): Promise<string[]> {
    const ch = this.hub.states.get(appId)?.channel(name);
    return ch ? [...ch.members.keys()] : [];
  }
}
