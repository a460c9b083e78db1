// Helpers for the console tests: admin-token requests, an SSE reader for the debug stream, a
// presence member joining over a raw socket, and headless Chromium launched the way
// test/client/browser.test.ts does it (Debian's chromium driven by playwright-core).
import { RawClient } from '../helpers/raw-client.ts';
import type { TestServer } from '../helpers/server.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

export const TOKEN = 'console-token-for-tests';
export type Json = Record<string, any>;

export async function call(ts: TestServer, method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${ts.httpUrl}${path}`, {
    method,
    headers: {
      ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* HTML or empty */
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

/** Reads the console's SSE stream of an app; `waitFor` resolves with the first matching entry. */
export async function openStream(ts: TestServer, appId: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${ts.httpUrl}/console/api/apps/${appId}/stream`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
    signal: ctrl.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  const entries: Json[] = [];
  let waiters: { pred: (e: Json) => boolean; resolve: (e: Json) => void }[] = [];
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const pump = (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (r.done) return;
      buf += dec.decode(r.value, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const line = buf
          .slice(0, cut)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buf = buf.slice(cut + 2);
        if (!line) continue;
        const e = JSON.parse(line.slice(6)) as Json;
        entries.push(e);
        waiters = waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
      }
    }
  })();
  const stream = {
    entries,
    headers: res.headers,
    waitFor(pred: (e: Json) => boolean, ms = 15_000): Promise<Json> {
      const seen = entries.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching entry; got ${JSON.stringify(entries)}`)), ms);
        waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    async close() {
      ctrl.abort();
      await pump;
    },
  };
  await stream.waitFor((e) => e.type === 'hello');
  return stream;
}

/** A raw socket of `app` joined to a presence channel as `userId`. */
export async function presenceMember(
  ts: TestServer,
  app: { key: string; secret: string },
  channel: string,
  userId: string,
  info: unknown,
) {
  const client = await RawClient.established(ts.wsUrl(app.key));
  const channelData = JSON.stringify({ user_id: userId, user_info: info });
  const reply = await client.subscribe(
    channel,
    channelAuth(app.key, app.secret, client.socketId, channel, channelData),
    channelData,
  );
  if (reply.event !== 'pusher_internal:subscription_succeeded')
    throw new Error(`presence join failed: ${JSON.stringify(reply)}`);
  return client;
}

export { CHROMIUM, launchChromium, skipBrowser } from '../helpers/chromium.ts';

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };
