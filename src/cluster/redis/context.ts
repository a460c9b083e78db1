// What the Redis adapter's presence and count keepers share from the adapter that owns them.
import type { ClusterEvents, ClusterObserver, LocalView } from '../adapter.ts';
import type { Names } from './bus.ts';
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
