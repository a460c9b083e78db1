// A hub without a network: the transports give the hub a SocketLike (src/hub/connection.ts), and
// this one records every frame and close the hub asks for. The hub's decisions (who is admitted,
// what a client event may do, who gets which frame) are then asserted on exact frames, fast enough
// for the mutation run. The servers in test/core check the same paths over real sockets.
import { resolveOptions, type App, type AppOptions } from '../../src/apps/app.ts';
import { StaticAppSource } from '../../src/apps/static-source.ts';
import type { Connection, SocketLike } from '../../src/hub/connection.ts';
import { Hub } from '../../src/hub/hub.ts';
import type { HubObserver } from '../../src/hub/observer.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

export class RecordingSocket implements SocketLike {
  readonly frames: string[] = [];
  closedWith?: { code: number; reason: string; dropQueued?: boolean };
  /** What send() reports as still queued: set it to play a client that stopped reading. */
  queued = 0;
  readonly bufferedAmount = 0;
  constructor(readonly origin?: string) {}

  send(frame: Buffer | string): number {
    this.frames.push(frame.toString());
    return this.queued;
  }

  close(code: number, reason: string, dropQueued?: boolean): void {
    this.closedWith = dropQueued === undefined ? { code, reason } : { code, reason, dropQueued };
  }

  /** The frames parsed, and forgotten (the next call returns only newer ones). */
  take(): Array<{ event: string; channel?: string; data?: unknown; user_id?: string }> {
    return this.frames.splice(0).map((f) => JSON.parse(f));
  }
}

export function makeApp(options: Partial<AppOptions> = {}, id = '1'): App {
  // Positions off: frames are exactly what the hub encodes (positions have their own tests).
  const base = { recoveryWindowSeconds: 0, ...options };
  return {
    id,
    key: `key-${id}`,
    secret: `secret-${id}`,
    name: `app ${id}`,
    enabled: true,
    options: resolveOptions(base),
  };
}

export interface HubKit {
  hub: Hub;
  /** Every observer report, as `name args…`. */
  reports: unknown[][];
  /** Opens a connection for the app (cached: synchronous) and returns it with its socket. */
  connect(app?: App, origin?: string): { conn: Connection; socket: RecordingSocket };
  /** Sends one client message to the hub. */
  send(conn: Connection, msg: unknown): void;
  /** Subscribes with a valid signature for private/presence channels, and forgets the reply. */
  join(c: { conn: Connection; socket: RecordingSocket }, channel: string, channelData?: string): void;
}

export function hubKit(apps: App[], hubOptions: { maxBufferedBytes?: number } = {}): HubKit {
  const reports: unknown[][] = [];
  const observer = new Proxy({} as HubObserver, {
    get:
      (_t, name) =>
      (...args: unknown[]) =>
        reports.push([name, ...args]),
  });
  const hub = new Hub({
    apps: new StaticAppSource(apps),
    activityTimeout: 120,
    pongTimeout: 30,
    maxBufferedBytes: hubOptions.maxBufferedBytes ?? 1 << 20,
    observer,
    sweepIntervalMs: 3_600_000, // tests call sweep(now) themselves
  });
  const send = (conn: Connection, msg: unknown) =>
    hub.message(conn, typeof msg === 'string' ? msg : JSON.stringify(msg));
  return {
    hub,
    reports,
    connect(app = apps[0], origin) {
      const socket = new RecordingSocket(origin);
      const conn = hub.open(socket, app.key, '7');
      if (!conn || conn instanceof Promise) throw new Error(`not admitted: ${socket.frames.join(' ')}`);
      return { conn, socket };
    },
    send,
    join({ conn, socket }, channel, channelData) {
      const app = conn.app;
      const signed = /^(private-|presence-)/.test(channel);
      const auth = signed ? channelAuth(app.key, app.secret, conn.id, channel, channelData) : undefined;
      send(conn, { event: 'pusher:subscribe', data: { channel, auth, channel_data: channelData } });
      const replies = socket.take();
      if (replies.at(-1)?.event !== 'pusher_internal:subscription_succeeded')
        throw new Error(`${channel} not joined: ${JSON.stringify(replies)}`);
    },
  };
}
