// WebSocket transport: upgrades on /app/{key}, frames in and out, close codes. Knows no channels.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Hub } from '../hub/hub.ts';
import type { Connection, SocketLike } from '../hub/connection.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { pusherError } from '../protocol/messages.ts';

/** Frames are always text: ws would send a Buffer as binary otherwise. */
const TEXT = { binary: false, compress: false } as const;

export interface WsTransportOptions {
  pathPrefix: string;
  maxMessageBytes: number;
  /** Called for upgrades; may refuse (e.g. origin allow-list) with a Pusher code. */
  admit?: (req: IncomingMessage, appKey: string) => { code: number; message: string } | undefined;
}

class WsSocket implements SocketLike {
  constructor(private readonly ws: WebSocket, readonly remoteAddress?: string) {}
  send(frame: Buffer | string): void {
    this.ws.send(frame, TEXT);
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly hub: Hub, private readonly options: WsTransportOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** Handles an HTTP upgrade request on any listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    this.sockets.add(ws);
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = url.pathname;
    const prefix = this.options.pathPrefix;
    if (prefix && path.startsWith(prefix + '/')) path = path.slice(prefix.length);
    const m = /^\/app\/([^/]+)\/?$/.exec(path);
    const sock = new WsSocket(ws, req.socket.remoteAddress);
    ws.on('error', () => undefined); // surfaced as 'close'; nothing to do per socket
    if (!m) {
      sock.send(pusherError(`Path ${path} not found; connect to /app/{key}`, ErrorCode.PATH_NOT_FOUND));
      sock.close(ErrorCode.PATH_NOT_FOUND, 'Path not found');
      ws.on('close', () => this.sockets.delete(ws));
      return;
    }
    const appKey = decodeURIComponent(m[1]);
    const refused = this.options.admit?.(req, appKey);
    if (refused) {
      sock.send(pusherError(refused.message, refused.code));
      sock.close(refused.code, refused.message);
      ws.on('close', () => this.sockets.delete(ws));
      return;
    }
    // Frames can arrive before the app lookup finishes: hold them until the connection exists.
    let conn: Connection | undefined;
    let early: string[] | undefined = [];
    let gone = false;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (conn) this.hub.message(conn, text);
      else early?.push(text);
    });
    ws.on('pong', () => conn && this.hub.touch(conn));
    ws.on('ping', () => conn && this.hub.touch(conn));
    ws.on('close', () => {
      gone = true;
      this.sockets.delete(ws);
      if (conn) this.hub.closed(conn);
    });
    this.hub.open(sock, appKey, url.searchParams).then((c) => {
      if (!c) return;
      conn = c;
      if (gone) return this.hub.closed(c);
      const pending = early!;
      early = undefined;
      for (const text of pending) this.hub.message(c, text);
    });
  }

  /** Hard-closes whatever is still open (after the graceful 4200 round). */
  terminateAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  get openSockets(): number {
    return this.sockets.size;
  }
}
