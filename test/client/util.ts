// Helpers for the client and SDK tests: a Pushi client on `ws` pointed at a test server, waits.
import WebSocket from 'ws';
import { Pushi } from '../../src/client/index.ts';
import type { Callback, PushiOptions, WebSocketConstructor } from '../../src/client/index.ts';
import { Pushi as PushiSdk } from '../../src/sdk/index.ts';
import type { TestServer } from '../helpers/server.ts';

export const WS = WebSocket as unknown as WebSocketConstructor;

/** Fast reconnects so restarts settle quickly on a busy machine. */
export const FAST = { minDelay: 50, maxDelay: 500, jitter: 0.5 };

export function client(ts: { wsPort: number }, options: PushiOptions = {}, key = 'test-key'): Pushi {
  return new Pushi(key, { host: '127.0.0.1', port: ts.wsPort, WebSocket: WS, reconnect: FAST, ...options });
}

export function sdk(ts: TestServer, overrides: ConstructorParameters<typeof PushiSdk>[0] = {}): PushiSdk {
  return new PushiSdk(
    {
      appId: ts.app.id,
      appKey: ts.app.key,
      appSecret: ts.app.secret,
      host: '127.0.0.1',
      port: ts.httpPort,
      ...overrides,
    },
    {},
  );
}

/** Polls until `check` is truthy (no fixed sleeps); fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with the next call of a listener bound on `target` for `event`: [data, meta]. */
export function next(
  target: { once(event: string, fn: Callback): unknown },
  event: string,
  timeoutMs = 15_000,
): Promise<[any, any]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${event}`)), timeoutMs);
    target.once(event, (_e: string, data: unknown, meta: unknown) => {
      clearTimeout(timer);
      resolve([data, meta]);
    });
  });
}

export async function connected(p: Pushi): Promise<void> {
  await waitFor(`client connected (state ${p.state})`, () => p.state === 'connected');
}
