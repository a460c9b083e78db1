// What the Redis adapter's presence and count keepers share from the adapter that owns them.
import type { ClusterEvents, ClusterObserver, LocalView } from '../adapter.ts';
import { encodeApp, type Names } from './bus.ts';
import type { RedisLink } from './redis-link.ts';
import type { Scripts } from './scripts.ts';

export interface ClusterContext {
  events: ClusterEvents;
  local: LocalView;
  observer: ClusterObserver;
  scripts: Scripts;
  names: Names;
  link: RedisLink;
  node: string;
  /** Scripts may run and markers will arrive (Redis up, node registered). */
  online(): boolean;
}

/**
 * Records this node's count of an entry in its index (bus.ts: what the reaper undoes if it dies),
 * sent before the script that writes the count. `user` only for presence entries.
 */
export function recordInIndex(
  ctx: ClusterContext,
  kind: 's' | 'u' | 'p',
  appId: string,
  name: string,
  count: number,
  user?: string,
): void {
  const field = `${kind}\0${encodeApp(appId)}\0${name}${user === undefined ? '' : `\0${user}`}`;
  const { link, names } = ctx;
  void (count > 0 ? link.cmd.hset(names.nodeHash(), field, count) : link.cmd.hdel(names.nodeHash(), field));
}
