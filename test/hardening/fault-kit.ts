// Pieces of scripts/faults.mjs: a TCP proxy that can cut a dependency (PostgreSQL, Redis) and bring
// it back, a publisher of persisted triggers that records exactly which ones were acknowledged, and
// the check that every acknowledged event is in the stored history.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { md5Hex, signRequest } from '../../src/protocol/signatures.ts';

export interface Target {
  httpUrl: string;
}
export interface AppCreds {
  id: string;
  key: string;
  secret: string;
}

/**
 * A TCP proxy to host:port. down() cuts every connection and refuses new ones until up(); hold()
 * black-holes it instead: connections stay open (new ones are accepted) but nothing is forwarded
 * either way until release(), like a network path that silently drops packets.
 */
export class TcpProxy {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private held = false;
  port = 0;
  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      for (const s of pair) {
        s.on('close', () => this.pairs.delete(pair));
        s.on('error', () => (s === client ? upstream : client).destroy());
      }
      if (this.held) for (const s of pair) s.pause();
      else forward(pair);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  down(): Promise<void> {
    this.held = false;
    for (const pair of this.pairs) for (const s of pair) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Stops forwarding without closing anything (bytes wait in the kernel, as on a dead path). */
  hold(): void {
    this.held = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Forwards again: what waited is delivered. */
  release(): void {
    this.held = false;
    for (const pair of this.pairs) forward(pair);
  }
}

function forward([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}

export async function api(
  t: Target,
  app: AppCreds,
  method: string,
  path: string,
  o: { body?: unknown; query?: Record<string, string> } = {},
) {
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  const params: Record<string, string> = {
    ...o.query,
    auth_key: app.key,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  };
  if (body) params.body_md5 = md5Hex(body);
  params.auth_signature = signRequest(app.secret, method, path, params);
  const res = await fetch(`${t.httpUrl}${path}?${new URLSearchParams(params)}`, {
    method,
    body,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: Record<string, any>;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, body: json };
}

/** Every stored event of a channel (newest first), in pages of 100. */
export async function history(t: Target, app: AppCreds, channel: string): Promise<{ data: string; mid: string }[]> {
  const all: { data: string; mid: string }[] = [];
  for (let skip = 0; ; skip += 100) {
    const r = await api(t, app, 'GET', `/apps/${app.id}/channels/${channel}/events`, {
      query: { skip: String(skip), count: '100' },
    });
    if (r.status !== 200) throw new Error(`history answered ${r.status}: ${JSON.stringify(r.body)}`);
    all.push(...r.body.events);
    if (r.body.events.length < 100) return all;
  }
}

/** Which acknowledged sequence numbers are missing from the channel's history. */
export async function missingAcked(t: Target, app: AppCreds, channel: string, acked: Set<number>): Promise<number[]> {
  const stored = new Set((await history(t, app, channel)).map((e) => (JSON.parse(e.data) as { seq: number }).seq));
  return [...acked].filter((n) => !stored.has(n)).sort((a, b) => a - b);
}

/**
 * Persisted triggers with `concurrency` in flight, each carrying a unique seq. `acked` holds those
 * answered 200; every other answer is tallied, and must be a clear 503 naming the storage problem.
 */
export class Publisher {
  readonly acked = new Set<number>();
  readonly statuses: Record<string, number> = {};
  readonly unclear: string[] = [];
  /** The longest any trigger took to be answered (ms), whatever the answer. */
  maxMs = 0;
  private seq = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly target: () => Target,
    private readonly app: AppCreds,
    readonly channel: string,
    private readonly concurrency = 5,
    private readonly pauseMs = 20,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get sent(): number {
    return this.seq;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const n = this.seq++;
      const started = Date.now();
      try {
        const r = await api(this.target(), this.app, 'POST', `/apps/${this.app.id}/events`, {
          body: { name: 'burst', channel: this.channel, data: JSON.stringify({ seq: n }), persist: true },
        });
        this.maxMs = Math.max(this.maxMs, Date.now() - started);
        this.statuses[r.status] = (this.statuses[r.status] ?? 0) + 1;
        if (r.status === 200) this.acked.add(n);
        else if (!(r.status === 503 && /Storage unavailable/.test(r.body.error)) && this.unclear.length < 10)
          this.unclear.push(`${r.status} ${JSON.stringify(r.body)}`);
      } catch (err) {
        const key = (err as Error).name;
        this.statuses[key] = (this.statuses[key] ?? 0) + 1; // connection refused/reset: the process died (SIGKILL)
      }
      if (this.pauseMs) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }
}

/** Polls GET /ready; resolves with the ms it took to answer 200, or throws after `ms`. */
export async function untilReady(t: Target, ms = 60_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    const status = await fetch(`${t.httpUrl}/ready`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => (r.body?.cancel(), r.status),
      () => 0,
    );
    if (status === 200) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready within ${ms} ms`);
}

/** The /ready status now (503 while the store is down). */
export async function readyStatus(t: Target): Promise<number> {
  return fetch(`${t.httpUrl}/ready`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => (r.body?.cancel(), r.status),
    () => 0,
  );
}

/**
 * The largest event-loop delay the server saw since the last scrape (prom-client resets it per scrape).
 * The monitor samples every 100 ms (metrics.ts) and records whole intervals, so an idle loop reads
 * about 100: the longest block is this minus LAG_SAMPLING_MS.
 */
export const LAG_SAMPLING_MS = 100;

export async function lagMaxMs(t: Target): Promise<number> {
  const text = await fetch(`${t.httpUrl}/metrics`, { signal: AbortSignal.timeout(30_000) }).then(
    (r) => r.text(),
    () => '',
  );
  const m = /^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text);
  return m ? Math.round(Number(m[1]) * 1000) : NaN;
}

/** Reads at most one chunk (≤64 KB) every `everyMs`: about 2 MB/s at 25 ms, a client on a poor link. */
export function readSlowly(sock: Socket, everyMs: number): () => void {
  let stopped = false;
  const onData = () => {
    sock.pause();
    setTimeout(() => !stopped && sock.resume(), everyMs);
  };
  sock.on('data', onData);
  sock.resume();
  return () => {
    stopped = true;
    sock.off('data', onData);
  };
}
