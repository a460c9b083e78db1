// The official pusher-js client (Node build) pointed at a test server. Channel authorization and
// user authentication are signed in-process by the official `pusher` SDK through pusher-js's
// customHandler hooks, so no auth HTTP endpoint is needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PusherModule from 'pusher-js';
import type { Channel, Options } from 'pusher-js';
import type PusherSdk from 'pusher';
import { APP, type TestServer } from './server.ts';

// pusher-js is CommonJS whose typings say `export default`: under Node's ESM the default import is
// module.exports (the class itself), while TypeScript (NodeNext) types it as the namespace. Take
// `.default` when present so both agree.
export const Pusher = ((PusherModule as unknown as { default?: unknown }).default ??
  PusherModule) as typeof PusherModule.default;
export type Pusher = InstanceType<typeof Pusher>;

// Client-side quirk, not a server one: when a server closes with a 40xx code, pusher-js calls
// close() on its already-closed faye-websocket, which arms a 30 s timer nothing clears and keeps
// the test process alive. Make close() on a closed socket a no-op (faye readyState 3 = CLOSED).
const FayeClient = (
  Pusher.Runtime as unknown as { getWebSocketAPI(): { prototype: { close(...a: unknown[]): void } } }
).getWebSocketAPI();
const fayeClose = FayeClient.prototype.close;
FayeClient.prototype.close = function (this: { readyState: number }, ...args: unknown[]) {
  if (this.readyState !== 3) fayeClose.apply(this, args);
};

export interface Identity {
  /** channel_data for presence channels: who this client is there. */
  presence?: { user_id: string; user_info?: Record<string, unknown> };
  /** user_data for pusher:signin (signin() must still be called). */
  user?: { id: string; user_info?: Record<string, unknown>; watchlist?: string[] };
  /** The SDK that signs (defaults to s.sdk(); pass one with encryptionMasterKeyBase64 for encrypted channels). */
  signer?: PusherSdk;
}

/** pusher-js options for the test server; Echo takes the same ones. */
export function pusherOptions(s: TestServer, id: Identity = {}, extra: Partial<Options> = {}): Options {
  const signer = id.signer ?? s.sdk();
  return {
    wsHost: '127.0.0.1',
    wsPort: s.wsPort,
    forceTLS: false,
    enabledTransports: ['ws'],
    cluster: 'x',
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          const data = channelName.startsWith('presence-') ? id.presence : undefined;
          callback(null, signer.authorizeChannel(socketId, channelName, data));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) => {
        try {
          if (!id.user) throw new Error('this test client has no user identity');
          callback(null, signer.authenticateUser(socketId, id.user));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
    ...extra,
  };
}

const open = new Set<Pusher>();

export function createPusher(s: TestServer, id: Identity = {}, extra: Partial<Options> = {}): Pusher {
  const p = new Pusher(s.app.key, pusherOptions(s, id, extra));
  open.add(p);
  return p;
}

/** Disconnects every client created here (call in `after`/`afterEach`). */
export function disconnectAll(): void {
  for (const p of open) p.disconnect();
  open.clear();
}

/** Resolves once `cond()` is truthy, polling; fails with `what` after `ms`. */
export async function waitUntil<T>(cond: () => T | Promise<T>, what: string, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Bindable {
  bind(event: string, cb: (...args: any[]) => void): unknown;
  unbind(event?: string, cb?: (...args: any[]) => void): unknown;
}

/** The next `event` on a pusher-js emitter (client, connection, channel, user, watchlist). */
export function once<T = any>(target: Bindable, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.unbind(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    const handler = (data: T) => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    target.bind(event, handler);
  });
}

export interface Received {
  data: any;
  meta?: { user_id?: string };
}

/** Records every `event` on an emitter, with the metadata pusher-js passes (user_id). */
export function record(target: Bindable, event: string): Received[] {
  const got: Received[] = [];
  target.bind(event, (data: unknown, meta?: { user_id?: string }) => got.push({ data, meta }));
  return got;
}

/** Resolves with the socket id once the client is connected. */
export async function connected(p: Pusher, ms = 10_000): Promise<string> {
  if (p.connection.state !== 'connected') await once(p.connection, 'connected', ms);
  return p.connection.socket_id;
}

/** Subscribes and waits for subscription_succeeded (fails on subscription_error). */
export function subscribed<C extends Channel = Channel>(p: Pusher, name: string, ms = 10_000): Promise<C> {
  const ch = p.subscribe(name) as C;
  if (ch.subscribed) return Promise.resolve(ch);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out subscribing to ${name}`)), ms);
    ch.bind('pusher:subscription_succeeded', () => {
      clearTimeout(timer);
      resolve(ch);
    });
    ch.bind('pusher:subscription_error', (err: unknown) => {
      clearTimeout(timer);
      reject(new Error(`subscription_error on ${name}: ${JSON.stringify(err)}`));
    });
  });
}

/** env for startServer that replaces the env app by an apps file holding the test app with `options`. */
export function appsFileEnv(options: Record<string, unknown>): Record<string, string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'pushi-apps-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'apps.json');
  writeFileSync(file, JSON.stringify({ apps: [{ ...APP, options }] }));
  return { PUSHI_APP_ID: undefined, PUSHI_APP_KEY: undefined, PUSHI_APP_SECRET: undefined, PUSHI_APPS_FILE: file };
}

/** Asks the server (HTTP API) how many connections a channel has; used as a barrier after a leave. */
export async function subscriptionCount(s: TestServer, channel: string): Promise<number> {
  const res = await s.sdk().get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } });
  return ((await res.json()) as { subscription_count: number }).subscription_count;
}
