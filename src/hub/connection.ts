// One client connection as the hub sees it: who it is, what it joined, and how to write to it.
import type { App } from '../apps/app.ts';
import { encodeSpecEvent, pusherError } from '../protocol/messages.ts';
import { ErrorCode, type PusherError } from '../protocol/errors.ts';
import type { Traffic } from './app-state.ts';
import { JoinedChannels } from './joined-channels.ts';

/** What a transport gives the hub: write bytes, close with a code. */
export interface SocketLike {
  /**
   * Writes one text frame and returns the bytes still queued for this socket (not yet taken by the
   * kernel). `frame` may be shared by many sockets: never mutate it.
   */
  send(frame: Buffer | string): number;
  /** `dropQueued`: what is still queued for the client is discarded, so the close frame goes next. */
  close(code: number, reason: string, dropQueued?: boolean): void;
  /** Bytes queued but not yet written to the kernel. */
  readonly bufferedAmount: number;
  readonly remoteAddress?: string;
  /** The Origin header of the upgrade request (browsers send it), for the app's allow-list. */
  readonly origin?: string;
}

export interface SignedInUser {
  id: string;
  /** The user_data JSON string as signed. */
  userData: string;
  info: unknown;
  watchlist: string[];
}

/** What a connection holds per channel joined (immutable: the plain case is one shared record). */
export interface Subscription {
  readonly userId?: string;
  readonly via?: string;
}

/** A channel joined by the socket itself, not a presence member: shared by every such subscription. */
export const PLAIN_SUBSCRIPTION: Subscription = Object.freeze({});

export class Connection {
  /** Channels joined: the presence user id on presence channels; `via` names the personal or
   *  presence channel that joined this socket to it automatically (personal aliases, peer pairs). */
  readonly channels = new JoinedChannels();
  lastSeen: number;
  /** When we pinged and are waiting for any answer (0 = not waiting). */
  pingSentAt = 0;
  user?: SignedInUser;
  closed = false;
  /** Client-event rate window. */
  windowStart = 0;
  windowCount = 0;
  readonly connectedAt: number;

  constructor(
    readonly id: string,
    /**
     * Replaced when the app changes over the admin API (api/routes/apps.ts): a rotated secret stops
     * signing at once.
     */
    public app: App,
    readonly socket: SocketLike,
    private readonly maxBufferedBytes: number,
    now: number,
    /** The app's counters on this node, at hand for every message this socket sends. */
    readonly traffic: Traffic,
  ) {
    this.lastSeen = now;
    this.connectedAt = now;
  }

  /** Writes a frame; a client that stopped reading is cut off (4100) once its queue passes the bound. */
  write(frame: Buffer | string): void {
    if (this.closed) return;
    // Judged by what the write left queued: one frame past the bound at most, and no second
    // look at the socket per frame (this runs once per subscriber per event).
    if (this.socket.send(frame) > this.maxBufferedBytes) {
      // It is not reading what is queued: drop it so the 4100 (back off, then reconnect) arrives.
      this.closed = true;
      this.socket.close(ErrorCode.OVER_CAPACITY, 'Slow consumer: send buffer full', true);
    }
  }

  sendError(err: PusherError): void {
    if (err.channel !== undefined) {
      this.write(
        encodeSpecEvent(
          'pusher:subscription_error',
          { type: err.code === null ? 'AuthError' : 'SubscriptionError', error: err.message, status: err.code ?? 401 },
          err.channel,
        ),
      );
    }
    this.write(pusherError(err.message, err.code));
    if (err.close && err.code !== null) this.close(err.code, err.message);
  }

  /** Sends `pusher:error` with the code, then closes with the same code (Pusher's convention). */
  closeWithError(code: number, message: string): void {
    this.write(pusherError(message, code));
    this.close(code, message);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close(code, reason.slice(0, 120)); // close reasons are limited to 123 bytes
  }
}
