// User authentication (pusher:signin), #server-to-user- channels, watchlists, terminating a user.
import { ErrorCode, fatal } from '../protocol/errors.ts';
import { encodeSpecEvent } from '../protocol/messages.ts';
import { verifyUserAuth } from '../protocol/signatures.ts';
import type { AppState } from './app-state.ts';
import type { Connection } from './connection.ts';
import type { Hub } from './hub.ts';

const MAX_WATCHLIST = 100;

export class Users {
  constructor(private readonly hub: Hub) {}

  signin(conn: Connection, data: Record<string, unknown>): void {
    const { auth, user_data: userData } = data;
    if (typeof userData !== 'string' || !verifyUserAuth(auth, conn.app.key, conn.app.secret, conn.id, userData)) {
      throw fatal(ErrorCode.UNAUTHORIZED, 'Invalid signature for pusher:signin');
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(userData);
    } catch {
      throw fatal(ErrorCode.UNAUTHORIZED, 'user_data is not valid JSON');
    }
    if (typeof parsed?.id !== 'string' || parsed.id.length === 0) {
      throw fatal(ErrorCode.UNAUTHORIZED, 'user_data needs a non-empty string id');
    }
    const watchlist = Array.isArray(parsed.watchlist) ? parsed.watchlist.map(String) : [];
    if (watchlist.length > MAX_WATCHLIST) throw fatal(ErrorCode.SERVER_ERROR, `Watchlist longer than ${MAX_WATCHLIST}`);
    const state = this.hub.state(conn.app);
    if (conn.user) this.forget(state, conn);
    conn.user = { id: parsed.id, userData, info: parsed.user_info, watchlist };
    let sockets = state.users.get(parsed.id);
    const online = !sockets;
    if (!sockets) state.users.set(parsed.id, (sockets = new Set()));
    sockets.add(conn);
    conn.write(encodeSpecEvent('pusher:signin_success', { user_data: userData }));
    // Online/offline is the user's first/last connection anywhere: the cluster tells watchers.
    if (online) this.hub.cluster.userChanged(state.app.id, parsed.id, true);
    for (const id of watchlist) {
      let set = state.watchers.get(id);
      if (!set) state.watchers.set(id, (set = new Set()));
      set.add(conn);
    }
    if (!watchlist.length) return;
    void this.hub.cluster.online(state.app.id, watchlist).then((ids) => {
      if (ids.length && !conn.closed) conn.write(watchlistEvent('online', ids));
    });
  }

  /** The connection is gone or signs in again: drop it from users and watchers. */
  forget(state: AppState, conn: Connection): void {
    const user = conn.user;
    if (!user) return;
    for (const id of user.watchlist) {
      const set = state.watchers.get(id);
      set?.delete(conn);
      if (set?.size === 0) state.watchers.delete(id);
    }
    const sockets = state.users.get(user.id);
    if (!sockets) return;
    sockets.delete(conn);
    if (sockets.size === 0) {
      state.users.delete(user.id);
      this.hub.cluster.userChanged(state.app.id, user.id, false);
    }
  }

  /** Tells this node's watchers of a user (the cluster calls it for transitions on other nodes). */
  notifyWatchers(state: AppState, userId: string, name: 'online' | 'offline'): void {
    const set = state.watchers.get(userId);
    if (!set) return;
    const frame = watchlistEvent(name, [userId]);
    for (const conn of set) conn.write(frame);
  }

  /** Closes every connection signed in as the user on this node. */
  terminate(appId: string, userId: string): number {
    const sockets = this.hub.states.get(appId)?.users.get(userId);
    if (!sockets) return 0;
    const list = [...sockets];
    for (const conn of list) conn.closeWithError(ErrorCode.UNAUTHORIZED, 'Connections of this user were terminated');
    return list.length;
  }
}

function watchlistEvent(name: 'online' | 'offline', ids: string[]): string {
  return encodeSpecEvent('pusher_internal:watchlist_events', { events: [{ name, user_ids: ids }] });
}
