// A raw `ws` client that records every frame, for asserting exact wire shapes and close codes.
import WebSocket from 'ws';

export interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string;
  [k: string]: unknown;
}

export class RawClient {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  closeCode?: number;
  closeReason?: string;
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private closeWaiters: ((code: number) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (buf, isBinary) => {
      const text = buf.toString();
      this.raw.push(isBinary ? `<binary>${text}` : text);
      const frame = JSON.parse(text) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.closeWaiters) w(code);
      this.closeWaiters = [];
    });
    ws.on('error', () => undefined);
  }

  /** Connects; resolves once the socket is open (not necessarily established). */
  static connect(url: string, options?: WebSocket.ClientOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new RawClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Connects and waits for pusher:connection_established; returns the client and its socket id. */
  static async established(url: string, options?: WebSocket.ClientOptions): Promise<RawClient & { socketId: string }> {
    const client = await RawClient.connect(url, options);
    const f = await client.waitFor((m) => m.event === 'pusher:connection_established');
    const data = JSON.parse(f.data as string);
    return Object.assign(client, { socketId: data.socket_id as string });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Waits for a frame matching `pred` (already received ones count), failing after `ms`. */
  waitFor(pred: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for frame; got: ${this.raw.join(' | ')}`)),
        ms,
      );
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Waits for the next frame with this event name received after now. */
  next(event: string, ms = 3000): Promise<Frame> {
    const from = this.frames.length;
    return this.waitFor((f) => f.event === event && this.frames.indexOf(f) >= from, ms);
  }

  waitClose(ms = 3000): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for close')), ms);
      this.closeWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Frames with this event name, `data` decoded from its JSON string. */
  events(event: string): Frame[] {
    return this.frames.filter((f) => f.event === event);
  }

  /** Subscribes and resolves with this subscribe's answer (not an earlier one on the channel). */
  subscribe(channel: string, auth?: string, channelData?: string): Promise<Frame> {
    const from = this.frames.length;
    this.send({ event: 'pusher:subscribe', data: { channel, auth, channel_data: channelData } });
    return this.waitFor(
      (f) =>
        f.channel === channel &&
        (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error') &&
        this.frames.indexOf(f) >= from,
    );
  }

  close(): void {
    this.ws.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const decode = (f: Frame) => (typeof f.data === 'string' ? JSON.parse(f.data) : f.data);
