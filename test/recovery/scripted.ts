// A bare WebSocket server that says hello like Pushi and then sends exactly the frames a test
// scripts, positions and replays included, so the clients' recovery logic is checked frame by frame.
import { WebSocketServer, type WebSocket } from 'ws';
import { waitUntil } from '../helpers/pusher-js.ts';

export interface Received {
  event: string;
  channel?: string;
  data?: any;
}

export interface Peer {
  socketId: string;
  ws: WebSocket;
  /** Frames the client sent on this socket, decoded. */
  frames: Received[];
  /** Sends a frame; `data` objects are JSON-encoded like a Pusher server does. */
  send(frame: Record<string, unknown>): void;
  /** The data of the client's pusher:subscribe for `channel` on this socket, once it arrives. */
  subscribeData(channel: string): Promise<Record<string, any>>;
  /** Confirms a subscription with `data` (the extension's epoch/offset/recovered). */
  succeed(channel: string, data: Record<string, unknown>): void;
  /** Sends an app event at a position (none when epoch is undefined). */
  event(channel: string, event: string, payload: unknown, epoch?: string, offset?: number): void;
}

export interface Scripted {
  port: number;
  peers: Peer[];
  /** The n-th connection (1-based), once the client has opened it. */
  peer(n: number): Promise<Peer>;
  close(): Promise<void>;
}

export async function scriptedServer(): Promise<Scripted> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const peers: Peer[] = [];
  wss.on('connection', (ws) => {
    const frames: Received[] = [];
    const send = (frame: Record<string, unknown>) => {
      const data = frame.data;
      ws.send(
        JSON.stringify(
          data !== undefined && typeof data !== 'string' ? { ...frame, data: JSON.stringify(data) } : frame,
        ),
      );
    };
    const peer: Peer = {
      socketId: `1.${peers.length + 1}`,
      ws,
      frames,
      send,
      subscribeData: async (channel) => {
        const f = await waitUntil(
          () => frames.find((x) => x.event === 'pusher:subscribe' && x.data?.channel === channel),
          `pusher:subscribe for ${channel} on socket ${peer.socketId}`,
        );
        return f.data;
      },
      succeed: (channel, data) => send({ event: 'pusher_internal:subscription_succeeded', channel, data }),
      event: (channel, event, payload, epoch, offset) =>
        send({ event, channel, data: payload, ...(epoch === undefined ? {} : { epoch, offset }) }),
    };
    peers.push(peer);
    ws.on('message', (buf) => frames.push(JSON.parse(buf.toString())));
    send({ event: 'pusher:connection_established', data: { socket_id: peer.socketId, activity_timeout: 120 } });
  });
  return {
    get port() {
      return (wss.address() as { port: number }).port;
    },
    peers,
    peer: (n) => waitUntil(() => peers[n - 1], `connection ${n}`),
    close: () => {
      for (const p of peers) p.ws.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
}
