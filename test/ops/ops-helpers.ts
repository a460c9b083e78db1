// Shared pieces of the operations tests: a real webhook receiver, servers with an apps file, and a
// small reader of the Prometheus text format.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Pusher from 'pusher';
import { startServer, type StartOptions, type TestServer } from '../helpers/server.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
  path: string;
  /** The status we answered. */
  status: number;
}

/** An HTTP server that records every POST and answers with `respond(n)` (n = 1 for the first). */
export class Receiver {
  readonly requests: Received[] = [];
  /** Status for the nth request; 'hang' never answers (timeouts). */
  respond: (n: number, path: string) => number | 'hang' = () => 200;
  private server!: Server;
  private waiters: (() => void)[] = [];
  url = '';

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    r.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = r.respond(r.requests.length + 1, req.url ?? '/');
        r.requests.push({
          headers: req.headers,
          rawBody: Buffer.concat(chunks).toString(),
          path: req.url ?? '/',
          status: status === 'hang' ? 0 : status,
        });
        for (const w of r.waiters.splice(0)) w();
        if (status === 'hang') return;
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
    return r;
  }

  /** Events of every request answered 2xx (optionally only to one path). */
  delivered(path?: string): Array<Record<string, unknown>> {
    return this.requests
      .filter((q) => q.status >= 200 && q.status < 300 && (!path || q.path === path))
      .flatMap((q) => (JSON.parse(q.rawBody) as { events: Array<Record<string, unknown>> }).events);
  }

  /** Resolves once `pred` holds, re-checked on every request; fails after `ms`. */
  async until(pred: () => boolean, ms = 10_000, what = 'webhook requests'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; got ${this.requests.length}: ${this.requests.map((q) => `${q.status} ${q.rawBody}`).join(' | ')}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface OpsApp {
  id: string;
  key: string;
  secret: string;
  options?: Record<string, unknown>;
}

export const APP_A: OpsApp = { id: 'test-app', key: 'test-key', secret: 'test-secret' };
export const APP_B: OpsApp = { id: 'other-app', key: 'other-key', secret: 'other-secret' };

/** Writes PUSHI_APPS_FILE for these apps (in `dir`, or a fresh temp dir). */
export function appsFile(apps: OpsApp[], dir = mkdtempSync(join(tmpdir(), 'pushi-ops-'))): string {
  const path = join(dir, 'apps.json');
  writeFileSync(
    path,
    JSON.stringify({ apps: apps.map((a) => ({ ...a, options: { clientEvents: true, ...a.options } })) }),
  );
  return path;
}

/** A server whose apps come only from an apps file (no PUSHI_APP_* app). */
export function startWithApps(apps: OpsApp[], opts: StartOptions = {}): Promise<TestServer> {
  return startServer({
    ...opts,
    env: {
      PUSHI_APP_ID: undefined,
      PUSHI_APP_KEY: undefined,
      PUSHI_APP_SECRET: undefined,
      PUSHI_APPS_FILE: appsFile(apps),
      ...opts.env,
    },
  });
}

export function sdkFor(s: TestServer, app: OpsApp): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(s.httpPort),
    useTLS: false,
  });
}

/** The `pusher` SDK's own webhook check. */
export function validWebhook(app: OpsApp, q: Received): boolean {
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: 'unused' })
    .webhook({ headers: q.headers, rawBody: q.rawBody })
    .isValid();
}

/** Prometheus text → samples, e.g. sample(text, 'pushi_connections', {app_id: 'x'}). */
export function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `labels`. undefined when none exists. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples(text).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return hits.length ? hits.reduce((sum, s) => sum + s.value, 0) : undefined;
}

export async function scrape(s: TestServer): Promise<string> {
  const res = await fetch(`${s.httpUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** Polls `check` until it returns true (for state that settles asynchronously). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
