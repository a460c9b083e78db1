// Runs fuzz actions (fuzz-actions.ts) against a live server and collects what went wrong:
// 5xx answers, a mutated signed request accepted, frames from the server that are not Pusher JSON.
// Crashes and unhandled rejections are seen by the caller through the child process (live-server.ts).
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { channelAuth, md5Hex, signRequest, userAuth } from '../../src/protocol/signatures.ts';
import { actionBatch, type Action, type RawWsFrame, type WsFrame } from './fuzz-actions.ts';

export interface FuzzTarget {
  wsPort: number;
  httpPort: number;
  app: { id: string; key: string; secret: string };
}

export interface FuzzReport {
  actions: number;
  byType: Record<string, number>;
  httpStatus: Record<string, number>;
  closeCodes: Record<string, number>;
  violations: string[];
}

const HOST = '127.0.0.1';
const ACTION_TIMEOUT_MS = 8000;
const MAX_SLOW = 48;

export async function runFuzz(o: {
  target: FuzzTarget;
  seed: number;
  durationMs: number;
  concurrency?: number;
  onProgress?: (r: FuzzReport) => void;
}): Promise<FuzzReport> {
  const report: FuzzReport = { actions: 0, byType: {}, httpStatus: {}, closeCodes: {}, violations: [] };
  const ctx = new Ctx(o.target, report);
  const deadline = Date.now() + o.durationMs;
  let batch = 0;
  let queue: { action: Action; id: string }[] = [];
  const next = () => {
    if (!queue.length) {
      const b = batch++;
      queue = actionBatch(o.seed, b, 50).map((action, i) => ({ action, id: `seed ${o.seed} batch ${b} #${i}` }));
    }
    return queue.shift()!;
  };
  let lastProgress = Date.now();
  const worker = async () => {
    while (Date.now() < deadline) {
      const { action, id } = next();
      report.actions++;
      report.byType[action.t] = (report.byType[action.t] ?? 0) + 1;
      ctx.current = id;
      await withTimeout(ctx.run(action, id), ACTION_TIMEOUT_MS).catch((err) =>
        ctx.violation(id, `action failed: ${(err as Error).message}`),
      );
      if (o.onProgress && Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        o.onProgress(report);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 6 }, worker));
  ctx.closeSlow();
  return report;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]).finally(() => clearTimeout(timer));
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Ctx {
  current = '';
  private readonly slow: Socket[] = [];
  constructor(
    readonly target: FuzzTarget,
    readonly report: FuzzReport,
  ) {}

  violation(id: string, what: string): void {
    if (this.report.violations.length < 100) this.report.violations.push(`${id}: ${what}`);
  }

  private fill(s: string): string {
    return s.replaceAll('KEY', this.target.app.key).replaceAll('APP', this.target.app.id);
  }

  run(a: Action, id: string): Promise<void> {
    switch (a.t) {
      case 'ws':
        return this.ws(a, id);
      case 'rawws':
        return this.rawWs(a.path, a.frames);
      case 'upgrade':
        return this.raw(this.target.wsPort, Buffer.from(this.fill(a.request)), id).then(() => undefined);
      case 'http':
        return this.http(a, id);
      case 'signed':
        return this.signed(a, id);
      case 'rawhttp':
        return this.raw(this.target.httpPort, Buffer.from(a.bytes), id).then(() => undefined);
      case 'slowloris':
        return this.slowloris(a);
    }
  }

  /** A WebSocket session: connect, send the frames, end as the action says; checks every frame received. */
  private async ws(a: Extract<Action, { t: 'ws' }>, id: string): Promise<void> {
    let ws: WebSocket;
    try {
      ws = new WebSocket(`ws://${HOST}:${this.target.wsPort}${this.fill(a.path)}`, { handshakeTimeout: 4000 });
    } catch {
      // a path the client library refuses to send: put it on the wire by hand
      const req = `GET ${this.fill(a.path)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      await this.raw(this.target.wsPort, Buffer.from(req), id, 'upgrade');
      return;
    }
    let socketId: string | undefined;
    let closed = false;
    const established = new Promise<void>((resolve) => {
      ws.on('message', (buf, isBinary) => {
        if (isBinary) return this.violation(id, 'server sent a binary frame');
        let f: { event?: unknown; data?: unknown };
        try {
          f = JSON.parse(buf.toString());
        } catch {
          return this.violation(id, `server sent a frame that is not JSON: ${buf.toString().slice(0, 100)}`);
        }
        if (!f || typeof f.event !== 'string')
          return this.violation(id, `server frame without an event: ${buf.toString().slice(0, 100)}`);
        if (f.event === 'pusher:connection_established') {
          socketId = JSON.parse(f.data as string).socket_id;
          resolve();
        }
      });
      ws.on('close', (code) => {
        closed = true;
        this.report.closeCodes[code] = (this.report.closeCodes[code] ?? 0) + 1;
        resolve();
      });
      ws.on('error', () => resolve());
      ws.on('unexpected-response', (_req, res) => {
        this.count(res.statusCode ?? 0, id, 'upgrade');
        res.resume();
        resolve();
      });
    });
    await withTimeout(established, 4000);
    const { key, secret } = this.target.app;
    const send = (data: string | Buffer, opts: { binary?: boolean; fin?: boolean } = {}) => {
      if (ws.readyState === WebSocket.OPEN)
        ws.send(data, { binary: opts.binary ?? false, fin: opts.fin ?? true, compress: false });
    };
    const sid = socketId ?? '1.1';
    for (const f of a.frames) {
      if (closed || ws.readyState !== WebSocket.OPEN) break;
      this.sendFrame(f, send, ws, key, secret, sid);
      await new Promise((r) => setImmediate(r));
    }
    await withTimeout(new Promise((r) => ws.once('close', r)), closed ? 0 : 300);
    if (a.end === 'badclose' && ws.readyState === WebSocket.OPEN) {
      (ws as unknown as { _socket: Socket })._socket.write(
        rawFrame({ fin: true, rsv: 0, opcode: 8, masked: true, payload: [0x03, 0xec, 0x41] }),
      ); // code 1004
      await withTimeout(new Promise((r) => ws.once('close', r)), 1000);
    }
    if (a.end === 'terminate' || a.end === 'badclose') ws.terminate();
    else if (a.end === 'linger') await wait(200);
    if (ws.readyState !== WebSocket.CLOSED) ws.close();
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  private sendFrame(
    f: WsFrame,
    send: (d: string | Buffer, o?: { binary?: boolean; fin?: boolean }) => void,
    ws: WebSocket,
    key: string,
    secret: string,
    sid: string,
  ): void {
    switch (f.kind) {
      case 'text':
        return send(f.text);
      case 'bytes':
        return send(Buffer.from(f.bytes), { binary: f.binary });
      case 'subscribe': {
        let auth: string | undefined = f.sign ? channelAuth(key, secret, sid, f.channel, f.channelData) : undefined;
        if (auth && f.mutate === 'auth') auth = auth.slice(0, -1) + (auth.endsWith('0') ? '1' : '0');
        let text = JSON.stringify({
          event: 'pusher:subscribe',
          data: { channel: f.channel, auth, channel_data: f.channelData },
        });
        // channel_data as a deeply nested object rather than a string
        if (f.mutate === 'deep')
          text = `{"event":"pusher:subscribe","data":{"channel":${JSON.stringify(f.channel)},"channel_data":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
        return send(f.mutate === 'frame' ? text.slice(0, Math.floor(text.length / 2)) : text);
      }
      case 'signin':
        return send(
          JSON.stringify({
            event: 'pusher:signin',
            data: { user_data: f.userData, auth: f.sign ? userAuth(key, secret, sid, f.userData) : `${key}:00` },
          }),
        );
      case 'client': {
        send(
          JSON.stringify({
            event: 'pusher:subscribe',
            data: { channel: f.channel, auth: channelAuth(key, secret, sid, f.channel) },
          }),
        );
        const data = f.deep ? '['.repeat(f.deep) + ']'.repeat(f.deep) : JSON.stringify(f.data);
        return send(`{"event":${JSON.stringify(f.event)},"channel":${JSON.stringify(f.channel)},"data":${data}}`);
      }
      case 'fragments':
        f.parts.forEach((p, i) => send(p, { fin: i === f.parts.length - 1 }));
        return;
      case 'oversized':
        return send(`{"event":"pusher:ping","data":"${'x'.repeat(f.size)}"}`);
      case 'ping':
        if (ws.readyState === WebSocket.OPEN) ws.ping(Buffer.from(f.payload));
    }
  }

  /** A raw TCP upgrade, then hand-built frames (unmasked, reserved bits, bad opcodes, lying lengths). */
  private async rawWs(path: string, frames: RawWsFrame[]): Promise<void> {
    const sock = connect(this.target.wsPort, HOST);
    sock.on('error', () => undefined);
    const key = randomBytes(16).toString('base64');
    const upgraded = new Promise<boolean>((resolve) => {
      let head = '';
      sock.on('data', (d) => {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) resolve(head.startsWith('HTTP/1.1 101'));
      });
      sock.on('close', () => resolve(false));
    });
    sock.write(
      `GET ${this.fill(path)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    if (await withTimeout(upgraded, 3000)) {
      for (const f of frames) if (!sock.destroyed) sock.write(rawFrame(f));
      await withTimeout(new Promise((r) => sock.once('close', r)), 500);
    }
    sock.destroy();
  }

  /** Writes bytes, reads the answer until the server closes or a second passes; checks the status line. */
  private raw(port: number, bytes: Buffer, id: string, what = 'raw'): Promise<string> {
    return new Promise((resolve) => {
      const sock = connect(port, HOST);
      let out = '';
      const done = () => {
        clearTimeout(timer);
        sock.destroy();
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(out);
        if (m) this.count(Number(m[1]), id, what);
        else if (out && !out.startsWith('HTTP/'))
          this.violation(id, `not an HTTP answer: ${JSON.stringify(out.slice(0, 60))}`);
        resolve(out);
      };
      const timer = setTimeout(done, 1500);
      sock.on('data', (d) => {
        out += d.toString('latin1');
        if (out.length > 4096) done();
      });
      sock.on('close', done);
      sock.on('error', () => undefined);
      sock.write(bytes);
    });
  }

  private count(status: number, id: string, what: string): void {
    this.report.httpStatus[status] = (this.report.httpStatus[status] ?? 0) + 1;
    if (status >= 500) this.violation(id, `${what} answered ${status}`);
  }

  private http(a: Extract<Action, { t: 'http' }>, id: string): Promise<void> {
    const body = Buffer.from(a.body);
    const framing = a.chunked
      ? `Transfer-Encoding: chunked\r\n\r\n${body.length ? `${body.length.toString(16)}\r\n` : ''}`
      : `Content-Length: ${body.length}\r\n\r\n`;
    const head = `${a.method} ${this.fill(a.path)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${a.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}${framing}`;
    const tail = a.chunked ? Buffer.from(`${body.length ? '\r\n' : ''}0\r\n\r\n`) : Buffer.alloc(0);
    return this.raw(
      this.target.httpPort,
      Buffer.concat([Buffer.from(head), body, tail]),
      id,
      `${a.method} ${a.path}`,
    ).then(() => undefined);
  }

  /** A correctly signed request, then optionally mutated: mutated ones must never be accepted. */
  private async signed(a: Extract<Action, { t: 'signed' }>, id: string): Promise<void> {
    const { key, secret } = this.target.app;
    const path = this.fill(a.path).split('?')[0];
    const body = a.method === 'GET' ? '' : a.body;
    const params: Record<string, string> = {
      auth_key: key,
      auth_timestamp: String(Math.floor(Date.now() / 1000)),
      auth_version: '1.0',
    };
    if (body) params.body_md5 = md5Hex(body);
    params.auth_signature = signRequest(secret, a.method, path, params);
    let query = new URLSearchParams(params).toString();
    let sentPath = path;
    let sentBody = body;
    if (a.mutate === 'query') query = `auth_timestamp=1&${query}`;
    if (a.mutate === 'body' && a.method === 'GET') query = `${query}&extra=1`; // a GET sends no body
    if (a.mutate === 'body') sentBody = `${body} `;
    if (a.mutate === 'path') sentPath = `${path}/x`;
    const res = await fetch(`http://${HOST}:${this.target.httpPort}${sentPath}?${query}`, {
      method: a.method,
      body: a.method === 'GET' ? undefined : sentBody,
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    if (!res) return;
    await res.arrayBuffer().catch(() => undefined);
    this.count(res.status, id, `signed ${a.method} ${sentPath}`);
    if (a.mutate !== 'none' && sentPath.startsWith('/apps/') && res.status < 300)
      this.violation(id, `mutated (${a.mutate}) signed request accepted: ${a.method} ${sentPath} → ${res.status}`);
  }

  /** Opens a connection and dribbles bytes; it stays open (bounded) so later actions run beside it. */
  private async slowloris(a: Extract<Action, { t: 'slowloris' }>): Promise<void> {
    const port = a.head.includes('/app/') ? this.target.wsPort : this.target.httpPort;
    const sock = connect(port, HOST);
    sock.on('error', () => undefined);
    sock.write(this.fill(a.head));
    for (let i = 0; i < a.ticks && !sock.destroyed; i++) {
      await wait(50);
      sock.write('a'.repeat(a.bytesPerTick));
    }
    this.slow.push(sock);
    while (this.slow.length > MAX_SLOW) this.slow.shift()!.destroy();
  }

  closeSlow(): void {
    for (const s of this.slow.splice(0)) s.destroy();
  }
}

/** One WebSocket frame built by hand, possibly illegal (what a hostile client can put on the wire). */
export function rawFrame(f: RawWsFrame): Buffer {
  const payload = Buffer.from(f.payload);
  const declared = f.lie === 'short' ? payload.length + 50 : payload.length;
  const b0 = (f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0f);
  let head: Buffer;
  if (f.lie === 'huge') {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeUInt32BE(0x001fffff, 2); // ~2^53 bytes: must be refused, never allocated
    head.writeUInt32BE(0xffffffff, 6);
  } else if (declared < 126) {
    head = Buffer.alloc(2);
    head[1] = declared;
  } else {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(Math.min(declared, 65535), 2);
  }
  head[0] = b0;
  if (!f.masked) return Buffer.concat([head, payload]);
  head[1] |= 0x80;
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}

/**
 * The end of every run: a normal client still connects, joins a public and a private channel,
 * receives a trigger, and exchanges a client event with a second client.
 */
export async function assertServes(t: FuzzTarget): Promise<void> {
  const { RawClient } = await import('../helpers/raw-client.ts');
  const { trigger } = await import('../helpers/signed-fetch.ts');
  const url = `ws://${HOST}:${t.wsPort}/app/${t.app.key}?protocol=7&client=js&version=8.4.0`;
  const a = await RawClient.established(url);
  const b = await RawClient.established(url);
  try {
    const channel = `after-fuzz-${randomBytes(4).toString('hex')}`;
    if ((await a.subscribe(channel)).event !== 'pusher_internal:subscription_succeeded')
      throw new Error(`subscribe failed: ${a.raw.join(' | ')}`);
    const res = await trigger(
      `http://${HOST}:${t.httpPort}`,
      { name: 'alive', channel, data: '"yes"' },
      { appId: t.app.id, key: t.app.key, secret: t.app.secret },
    );
    if (res.status !== 200) throw new Error(`trigger answered ${res.status}: ${await res.text()}`);
    await a.waitFor((f) => f.event === 'alive' && f.data === '"yes"', 10_000);
    const priv = `private-${channel}`;
    for (const c of [a, b]) {
      const ok = await c.subscribe(priv, channelAuth(t.app.key, t.app.secret, c.socketId, priv));
      if (ok.event !== 'pusher_internal:subscription_succeeded')
        throw new Error(`private subscribe failed: ${c.raw.join(' | ')}`);
    }
    a.send({ event: 'client-hello', channel: priv, data: { n: 1 } });
    await b.waitFor((f) => f.event === 'client-hello', 10_000);
  } finally {
    a.close();
    b.close();
  }
}
