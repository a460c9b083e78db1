// WebSocket transport: upgrades on /app/{key}, frames in and out, close codes. Knows no channels.
import type { IncomingMessage } from 'node:http';
import { dropQueuedWrites } from './drop-queued.ts';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Hub } from '../hub/hub.ts';
import type { Connection, SocketLike } from '../hub/connection.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { pusherError } from '../protocol/messages.ts';
import { useInboundFastPath } from './inbound-fast-path.ts';
import { parseRequestTarget, queryParam } from './request-target.ts';

/** Frames held while the app is looked up (the hub bounds in-flight messages the same way). */
const MAX_EARLY_FRAMES = 100;

/** Frames are always text: ws would send a Buffer as binary otherwise. */
const TEXT = { binary: false, compress: false } as const;

export interface WsTransportOptions {
  pathPrefix: string;
  maxMessageBytes: number;
  /** Coalesce the frames a socket gets within one event-loop turn into one write (default true). */
  coalesce?: boolean;
  /** A client whose queue passes this many bytes when it pings is cut off (PUSHI_MAX_BUFFERED_BYTES). */
  maxQueuedBytes?: number;
  /** Called for upgrades; may refuse (e.g. origin allow-list) with a Pusher code. */
  admit?: (req: IncomingMessage, appKey: string) => { code: number; message: string } | undefined;
}

/** The ws 8 internals the fast path relies on: the raw socket, and the sender idle (not deflating). */
interface WsInternals {
  _socket: Socket | null;
  _sender: { _state: number };
}

/** An unmasked, final text frame (RFC 6455 §5.2) holding `payload`, in one buffer. */
export function textFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x81;
  if (head === 2) out[1] = len;
  else if (head === 4) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  payload.copy(out, head);
  return out;
}

// Fan-out writes one Buffer to every subscriber in a row: frame it once and hand every socket the
// same finished bytes (one write each), instead of ws framing it again per socket.
let lastPayload: Buffer | undefined;
let lastFrame: Buffer = Buffer.alloc(0);
function framed(payload: Buffer): Buffer {
  if (payload !== lastPayload) {
    lastFrame = textFrame(payload);
    lastPayload = payload;
  }
  return lastFrame;
}

// Coalescing: the frames one socket gets within one event-loop turn leave in one writev when the
// turn ends (setImmediate), instead of one write syscall each. A turn whose opening callback wrote a
// single frame (a client event to its one peer, a reply) ends with that callback instead (a
// microtask): nothing to coalesce, and no timer per message. A socket that got a single frame in its
// last busy turn writes its next frame at once (no cork bookkeeping).
let turn = 1;
let framesInTurn = 0;
// Ends a lone frame's turn: `.then` on a settled promise queues the microtask without the
// AsyncResource and bound function that queueMicrotask makes per call (once per client event).
const settled = Promise.resolve();
let ending = false;
const corked: Duplex[] = [];
function endTurn(): void {
  ending = false;
  turn++;
  framesInTurn = 0;
  for (let i = 0; i < corked.length; i++) corked[i].uncork();
  corked.length = 0;
}
function endLoneTurn(): void {
  if (ending) return; // more frames followed: the turn ends with the event-loop turn
  turn++;
  framesInTurn = 0;
}
function endTurnLater(): void {
  if (ending) return;
  ending = true;
  setImmediate(endTurn);
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * ws's WebSocket, handing its events straight to the connection's WsSocket: no listener functions,
 * closures or per-socket event table (~0.5 KB a connection at 18,000 connections).
 */
class PushiWebSocket extends WebSocket {
  session?: WsSocket;
  // ws emits at most two arguments: spelled out so that no rest array is made per message.
  override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
    const s = this.session;
    if (s !== undefined) {
      switch (event) {
        case 'message':
          s.received(a as Buffer, b as boolean);
          return true;
        case 'ping':
          s.pinged(a as Buffer);
          return true;
        case 'pong':
          s.alive();
          return true;
        case 'close':
          s.gone();
          return true;
        case 'error':
          return true; // followed by 'close'; nothing to do per socket
      }
    }
    return super.emit(event, a, b);
  }
}

// Per-connection memory counts (18,000 sockets on a box): nothing here is kept that is not needed.
class WsSocket implements SocketLike {
  /** The hub's connection, once the app lookup finished. */
  conn?: Connection;
  /** Frames that arrived before the connection existed (undefined: none may be queued any more). */
  early?: string[] = [];
  /** The socket closed (possibly before the app lookup finished). */
  closed = false;
  /** The turn of this socket's last frame, and how many frames it got in that turn. */
  private turn = 0;
  private frames = 0;
  constructor(
    private readonly ws: PushiWebSocket,
    private readonly transport: WsTransport,
    readonly origin?: string,
  ) {}
  /** Read on demand: asking the socket caches an address object on it. */
  get remoteAddress(): string | undefined {
    return (this.ws as unknown as WsInternals)._socket?.remoteAddress;
  }
  send(frame: Buffer | string): number {
    const raw = this.ws as unknown as WsInternals;
    // Strings (replies to one socket) and anything unusual take ws's own path.
    if (typeof frame === 'string' || this.ws.readyState !== 1 || raw._sender._state !== 0 || !raw._socket) {
      this.ws.send(frame, TEXT);
      return this.ws.bufferedAmount;
    }
    const sock = raw._socket;
    if (this.transport.coalesce) this.batch(sock);
    sock.write(framed(frame));
    return sock.writableLength; // the sender is idle (checked above): nothing of ours is queued in ws
  }
  /** Corks the socket until the turn ends when it is getting (or lately got) several frames a turn. */
  private batch(sock: Duplex): void {
    if (++framesInTurn === 1) void settled.then(endLoneTurn);
    else endTurnLater();
    if (this.turn !== turn) {
      const busy = this.frames > 1;
      this.turn = turn;
      this.frames = 1;
      if (!busy) return;
    } else this.frames++;
    if (sock.writableCorked === 0) {
      sock.cork();
      corked.push(sock);
      endTurnLater();
    }
  }
  close(code: number, reason: string, dropQueued = false): void {
    const sock = (this.ws as unknown as WsInternals)._socket;
    if (dropQueued && sock) dropQueuedWrites(sock);
    this.ws.close(code, reason);
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  received(data: Buffer, isBinary: boolean): void {
    const text = isBinary ? '' : data.toString();
    if (this.conn) this.transport.hub.message(this.conn, text);
    else if (this.early && this.early.length >= MAX_EARLY_FRAMES) {
      // A slow app lookup (store busy) must not let a client queue frames without end.
      this.early = undefined;
      this.refuse(ErrorCode.OVER_CAPACITY, 'Too many messages before the connection was established');
    } else this.early?.push(text);
  }
  alive(): void {
    if (this.conn) this.transport.hub.touch(this.conn);
  }
  /**
   * Answers a WebSocket ping (ws's autoPong is off: it costs a closure and four fields per socket).
   * ws bounds unanswered pongs; here a client that pings without reading is cut off by its queue.
   */
  pinged(data: Buffer): void {
    if (this.ws.readyState !== 1) return;
    this.ws.pong(data, false);
    if (this.ws.bufferedAmount > this.transport.maxQueuedBytes) return this.ws.terminate();
    this.alive();
  }
  gone(): void {
    this.closed = true;
    this.transport.forget(this.ws);
    if (this.conn) this.transport.hub.closed(this.conn);
  }
  /** The hub accepted the socket: replay what came early, in order (undefined: it refused it). */
  opened(conn: Connection | undefined): void {
    if (!conn) return;
    this.conn = conn;
    if (this.closed) return this.transport.hub.closed(conn);
    const pending = this.early;
    if (!pending) return conn.close(ErrorCode.OVER_CAPACITY, 'Too many messages before the connection was established');
    this.early = undefined;
    for (const text of pending) this.transport.hub.message(conn, text);
  }
  /** `pusher:error` with the code, then close with it (no connection exists yet). */
  refuse(code: number, message: string, reason = message): void {
    this.early = undefined;
    this.send(pusherError(message, code));
    this.close(code, reason.slice(0, 120)); // close reasons are limited to 123 bytes
  }
}

export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  readonly coalesce: boolean;
  readonly maxQueuedBytes: number;

  constructor(
    readonly hub: Hub,
    private readonly options: WsTransportOptions,
  ) {
    this.coalesce = options.coalesce !== false;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
      autoPong: false, // answered by WsSocket.pinged
      WebSocket: PushiWebSocket,
    });
  }

  /** Handles an HTTP upgrade request on any listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A shared listener, not a closure: one here would keep `req` (headers and all) per connection.
    socket.on('error', destroyOnError);
    // ws writes the 101 and calls back at once, and a cached app is admitted at once: corked, the
    // handshake and `connection_established` leave in one write (one syscall and packet fewer).
    socket.cork();
    try {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws as PushiWebSocket, req));
    } finally {
      socket.uncork(); // never left corked, whatever was thrown
    }
  }

  /** The socket closed: no longer ours to terminate. */
  forget(ws: WebSocket): void {
    this.sockets.delete(ws);
  }

  private accept(ws: PushiWebSocket, req: IncomingMessage): void {
    // ws's own error listener destroys the socket from here on: a second one would cost an array.
    (ws as unknown as WsInternals)._socket?.removeListener('error', destroyOnError);
    this.sockets.add(ws);
    const sock = new WsSocket(ws, this, req.headers.origin);
    ws.session = sock;
    useInboundFastPath(ws);
    // A request line like `GET //[` upgrades fine but is no URL: answered 4005 below, never thrown.
    const target = parseRequestTarget(req.url);
    let path = target?.path ?? '(invalid URL)';
    const prefix = this.options.pathPrefix;
    if (prefix && path.startsWith(prefix + '/')) path = path.slice(prefix.length);
    const m = /^\/app\/([^/]+)\/?$/.exec(path);
    if (!m)
      return sock.refuse(ErrorCode.PATH_NOT_FOUND, `Path ${path} not found; connect to /app/{key}`, 'Path not found');
    let appKey = m[1];
    try {
      appKey = decodeURIComponent(appKey);
    } catch {
      // malformed %-escape: looked up as sent, so it is refused 4001 like any unknown key
    }
    const refused = this.options.admit?.(req, appKey);
    if (refused) return sock.refuse(refused.code, refused.message);
    // Frames can arrive before the app lookup finishes: the socket holds them until then.
    const opening = this.hub.open(sock, appKey, queryParam(target!.search, 'protocol'));
    if (opening instanceof Promise) void opening.then((c) => sock.opened(c));
    else sock.opened(opening);
  }

  /** Hard-closes whatever is still open (after the graceful 4200 round). */
  terminateAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  get openSockets(): number {
    return this.sockets.size;
  }
}
