// What the Redis adapter's presence and count keepers share from the adapter that owns them.
import type { ClusterEvents, ClusterObserver, LocalView } from '../adapter.ts';
import type { Scripts } from './scripts.ts';

export interface ClusterContext {
  events: ClusterEvents;
  local: LocalView;
  observer: ClusterObserver;
  scripts: Scripts;
  prefix: string;
  node: string;
  /** Scripts may run and markers will arrive (Redis up, node registered). */
  online(): boolean;
  /** Redis says this node is not registered (it was reaped): re-register everything. */
  resync(): void;
}
