// The console's JSON endpoints the public API lacks: an app's live overview, its stored events and
// offline subscriptions (straight from the store), and server facts the snippets need.
import type { ApiDeps } from '../api/deps.ts';
import { parsePage, toWire, userIdError } from '../persistence/history.ts';
import type { Persistence } from '../persistence/persistence.ts';
import { channelNameError } from '../protocol/channels.ts';
import { HttpError } from '../protocol/errors.ts';
import type { EventLogReads } from '../store/event-log.ts';
import type { Stores } from '../store/stores.ts';
import type { ConsoleFeed } from './feed.ts';

const TOP = 10;
const MAX_PRESENCE_CHANNELS = 50;
const MAX_MEMBERS = 100;

export function serverInfo(deps: ApiDeps, store: Pick<Stores, 'kind'>) {
  const c = deps.config;
  return {
    ws_port: deps.ports?.ws ?? c.ws.port,
    http_port: deps.ports?.http ?? c.http.port,
    ws_tls: Boolean(c.ws.tls),
    http_tls: Boolean(c.http.tls),
    path_prefix: c.pathPrefix,
    store: store.kind,
    clustered: Boolean(c.redisUrl),
    /** The default app (or the environment's app): the Live tab's choice when no app is busier. */
    default_app: deps.demoApp?.id ?? null,
  };
}

export async function overview(deps: ApiDeps, feed: ConsoleFeed, appId: string) {
  const now = Date.now();
  const state = deps.hub.states.get(appId);
  // Cluster-wide when scaled out (queries ask every node); the charts are this node's.
  const channels = await deps.queries.channels(appId);
  const subscribers = new Map(channels.map((c) => [c.name, c.subscriptionCount]));
  const stats = feed.statsOf(appId);
  const presenceAll = channels
    .filter((c) => c.userCount !== undefined)
    .sort((a, b) => (b.userCount ?? 0) - (a.userCount ?? 0) || (a.name < b.name ? -1 : 1));
  const presence = [];
  for (const c of presenceAll.slice(0, MAX_PRESENCE_CHANNELS)) {
    const local = state?.channel(c.name);
    let ids = local ? [...local.members.keys()] : [];
    if ((c.userCount ?? 0) > ids.length) ids = await deps.queries.users(appId, c.name); // members on other nodes
    presence.push({
      channel: c.name,
      user_count: c.userCount ?? ids.length,
      members: ids.slice(0, MAX_MEMBERS).map((id) => ({ id, info: local?.members.get(id)?.info })),
    });
  }
  return {
    at: now,
    connections: state?.connections.size ?? 0,
    channels: channels.length,
    subscriptions: channels.reduce((n, c) => n + c.subscriptionCount, 0),
    presence_channels: presenceAll.length,
    series: stats.series(),
    busiest: stats.busiest(now, TOP).map((b) => ({ ...b, subscribers: subscribers.get(b.channel) ?? 0 })),
    largest: [...channels]
      .sort((a, b) => b.subscriptionCount - a.subscriptionCount || (a.name < b.name ? -1 : 1))
      .slice(0, TOP)
      .map((c) => ({ channel: c.name, subscribers: c.subscriptionCount, user_count: c.userCount })),
    presence,
  };
}

/** Stored events and offline subscriptions of a channel (`channel`) or of a user (`user_id`). */
export async function stored(log: EventLogReads, persistence: Persistence, appId: string, query: URLSearchParams) {
  const channel = query.get('channel') || undefined;
  const userId = query.get('user_id') || undefined;
  const page = parsePage(query.get('skip') ?? undefined, query.get('count') ?? '20');
  if (typeof page === 'string') throw new HttpError(400, page);
  if (channel !== undefined) {
    const err = channelNameError(channel);
    if (err) throw new HttpError(400, err);
    const [events, subs] = await Promise.all([
      persistence.history(appId, channel, page),
      log.listSubscriptions(appId, { channel }),
    ]);
    return { channel, events: events.map(toWire), subscriptions: subs.map(subView) };
  }
  if (userId !== undefined) {
    const err = userIdError(userId);
    if (err) throw new HttpError(400, err);
    const [events, subs] = await Promise.all([
      log.userEvents(appId, userId, page),
      log.listSubscriptions(appId, { userId }),
    ]);
    return { user_id: userId, events: events.map(toWire), subscriptions: subs.map(subView) };
  }
  throw new HttpError(400, 'give channel or user_id');
}

const subView = (s: { userId: string; channel: string; createdAt: number }) => ({
  user_id: s.userId,
  channel: s.channel,
  created_at: s.createdAt,
});
