// Shared pieces of the notification tests: an app of their own per test, signed calls for it,
// a certificate for localhost (with subjectAltName, so it verifies), waiting for conditions.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedFetch, type SignedFetchOptions } from '../helpers/signed-fetch.ts';
import type { TestServer } from '../helpers/server.ts';

export interface TestApp {
  id: string;
  key: string;
  secret: string;
  /** A signed call on this app: path relative to /apps/{id}. */
  call(method: string, path: string, o?: SignedFetchOptions): Promise<{ status: number; body: any }>;
}

/** A fresh app in the server's store (options as given; fast retries by default). */
export async function createApp(ts: TestServer, options: Record<string, unknown> = {}): Promise<TestApp> {
  const id = `n-${randomBytes(5).toString('hex')}`;
  const app = { id, key: `k-${id}`, secret: randomBytes(16).toString('hex') };
  await ts.server.store.apps.create({
    ...app,
    name: id,
    enabled: true,
    options: { webhookRetryMs: 50, ...options },
    createdAt: Date.now(),
  });
  return {
    ...app,
    async call(method, path, o = {}) {
      const res = await signedFetch(ts.httpUrl, `/apps/${id}${path}`, {
        method,
        key: app.key,
        secret: app.secret,
        ...o,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** Polls until the check returns something truthy (or throws after the timeout). */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The queue is empty and nothing is being sent. */
export function drained(ts: TestServer): Promise<boolean> {
  return until(
    async () =>
      ts.server.notifier.fanout.held === 0 &&
      ts.server.notifier.queue.active === 0 &&
      (await ts.server.store.notifications.countPending()) === 0,
    'the notification queue to drain',
  );
}

export interface LocalhostCert {
  key: Buffer;
  cert: Buffer;
  remove(): void;
}

/** A one-day self-signed certificate for localhost and 127.0.0.1 (needs `openssl`). */
export function localhostCert(): LocalhostCert {
  const dir = mkdtempSync(join(tmpdir(), 'pushi-notify-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  const out = { key: readFileSync(keyPath), cert: readFileSync(certPath) };
  rmSync(dir, { recursive: true, force: true });
  return { ...out, remove: () => undefined };
}
